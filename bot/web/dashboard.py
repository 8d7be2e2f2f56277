"""`/`: the national picture or one office's (`?office=62.10`), as charts with the numbers
behind each and a CSV of them (`/data/by-week.csv?office=62.10`). Counts only
(services/public_figures.py): an office with too few cases shows none."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from html import escape

from aiohttp import web

from bot.services import regions
from bot.services.dates import today_in_indonesia
from bot.services.offices import RI, is_office, office_name
from bot.services.public_figures import (
    DECISION_SAMPLE,
    SMALL_AREA,
    PublicFigures,
    public_figures,
)
from bot.web.i18n import _, current_locale
from bot.web.labels import category_label
from bot.web.layout import page, url
from bot.web.state import DEFAULT_LOCALE, FIGURES, PAGES, SESSIONS
from bot.web.svg import bars, columns, number, tile_map

DATASETS = ("summary", "by-week", "by-category", "by-region")


@dataclass(frozen=True)
class Dataset:
    """One chart's numbers: the table under it and its CSV are the same rows."""

    name: str
    title: str
    headings: tuple[str, str]
    rows: list[tuple[str, str, int]]  # stable key (the CSV's), label, count


def requested_office(request: web.Request) -> str:
    office = request.query.get("office") or RI
    if not is_office(office):
        raise web.HTTPNotFound(text="unknown office")
    return office


async def figures_for(request: web.Request, office: str) -> PublicFigures:
    today = today_in_indonesia()

    async def compute() -> PublicFigures:
        async with request.app[SESSIONS]() as session:
            return await public_figures(session, today=today, scope=office)

    return await request.app[FIGURES].get((office, today), compute)


def datasets(figures: PublicFigures) -> list[Dataset]:
    stats = figures.statistics
    headline = stats.headline
    by_province: Counter[str] = Counter()
    for region, count in stats.by_region.items():
        if region:
            by_province[region.split(".")[0]] += count
    names = {province.code: province.name for province in regions.provinces()}
    return [
        Dataset(
            "summary",
            _("From report to sanction"),
            (_("Stage"), _("Cases")),
            [
                ("received", _("Reports received"), headline.received),
                ("registered", _("Registered"), figures.registered),
                ("established", _("Violation established"), headline.proven),
                ("forwarded", _("Forwarded for a sanction"), headline.forwarded),
                ("followed_up", _("Sanction carried out"), headline.followed_up),
            ],
        ),
        Dataset(
            "by-week",
            _("Reports received per week"),
            (_("Week from"), _("Reports")),
            [
                (monday.isoformat(), monday.strftime("%d/%m"), count)
                for monday, count in stats.by_week
            ],
        ),
        Dataset(
            "by-category",
            _("Reports by kind of violation"),
            (_("Kind of violation"), _("Reports")),
            [(key, category_label(key), count) for key, count in stats.by_category.items()],
        ),
        Dataset(
            "by-region",
            _("Reports by province"),
            (_("Province"), _("Reports")),
            [
                (code, names.get(code, code), count)
                for code, count in sorted(by_province.items(), key=lambda item: (-item[1], item[0]))
            ],
        ),
    ]


async def dashboard(request: web.Request) -> web.Response:
    office = requested_office(request)
    title = _("Reports of breaches of civil-servant neutrality")
    # Drawing the page (552 offices to choose from, four charts) takes longer than the
    # cached figures are to read: the page is kept as long as they are, per language.
    key = (office, current_locale(), today_in_indonesia())
    body = await request.app[PAGES].get(key, lambda: _body(request, office))
    return page(request, title, body)


async def _body(request: web.Request, office: str) -> str:
    figures = await figures_for(request, office)
    parts = [f'<p class="office">{escape(office_name(office))}</p>', _office_form(request, office)]
    if figures.too_few:
        notice = _(
            "This office has fewer than {count} reports: its figures are counted in "
            "those of the offices above it, not shown on their own, so that no one "
            "can be recognised in them."
        ).format(count=SMALL_AREA)
        parts.append(f'<p class="notice">{escape(notice)}</p>')
        return "\n".join(parts)
    parts.append(_headline(figures))
    parts += [_figure(request, office, dataset) for dataset in datasets(figures)]
    return "\n".join(parts)


def _headline(figures: PublicFigures) -> str:
    headline = figures.statistics.headline
    rate = (
        f"{number(round(headline.follow_up_rate * 100))}%"
        if headline.follow_up_rate is not None
        else "–"
    )
    days = number(figures.days_to_decision) if figures.days_to_decision is not None else "–"
    cards = [
        (_("Reports received"), number(headline.received), "received"),
        (_("Registered"), number(figures.registered), "registered"),
        (_("Violation established"), number(headline.proven), "established"),
        (_("Forwarded for a sanction"), number(headline.forwarded), "forwarded"),
        (_("Sanction carried out"), number(headline.followed_up), "followed_up"),
        (_("Follow-up rate"), rate, "follow_up_rate"),
        (_("Median days from report to decision"), days, "days_to_decision"),
    ]
    items = "".join(
        f'<div class="card" id="figure-{key}"><dt>{escape(label)}</dt>'
        f"<dd>{escape(value)}</dd></div>"
        for label, value, key in cards
    )
    note = _(
        "Follow-up rate: sanctions carried out over the recommendations whose answer is due; "
        "no sanction and no answer are not counted as followed up."
    )
    median = _(
        "Median days: from the report to the first decision on it (established, not "
        "established or stopped), over the latest {count} decided reports."
    ).format(count=number(DECISION_SAMPLE))
    return (
        f'<dl class="headline">{items}</dl>'
        f'<p class="note">{escape(note)}</p><p class="note">{escape(median)}</p>'
    )


def _figure(request: web.Request, office: str, dataset: Dataset) -> str:
    rows = [(label, count) for _key, label, count in dataset.rows]
    if dataset.name == "by-week":
        chart = columns(dataset.title, rows)
    elif dataset.name == "by-region":
        names = {province.code: province.name for province in regions.provinces()}
        tiles = tile_map(dataset.title, {key: count for key, _l, count in dataset.rows}, names)
        chart = f'<div class="scroll">{tiles}</div>'  # 16 columns: scrolled on a phone
    else:
        chart = bars(dataset.title, rows)
    table_rows = (
        "".join(
            f'<tr data-key="{escape(key)}"><th scope="row">{escape(label)}</th>'
            f"<td>{escape(number(count))}</td></tr>"
            for key, label, count in dataset.rows
        )
        or f'<tr><td colspan="2">{escape(_("No reports yet."))}</td></tr>'
    )
    csv_link = url(request, f"/data/{dataset.name}.csv", office=None if office == RI else office)
    return f"""<section class="figure" id="{dataset.name}">
<h2>{escape(dataset.title)}</h2>
{chart}
<details><summary>{escape(_("The numbers"))}</summary>
<table><thead><tr><th scope="col">{escape(dataset.headings[0])}</th>\
<th scope="col">{escape(dataset.headings[1])}</th></tr></thead><tbody>{table_rows}</tbody></table>
</details>
<p><a class="csv" href="{escape(csv_link)}" download>{escape(_("Download CSV"))}</a></p>
</section>"""


def _office_form(request: web.Request, office: str) -> str:
    options = [_option(RI, office_name(RI), office)]
    for province in regions.provinces():
        inner = [_option(province.code, office_name(province.code), office)]
        inner += [_option(item.code, item.name, office) for item in province.regencies]
        options.append(f'<optgroup label="{escape(province.name)}">{"".join(inner)}</optgroup>')
    language = current_locale()
    hidden = (
        f'<input type="hidden" name="lang" value="{language}">'
        if language != request.app[DEFAULT_LOCALE]
        else ""
    )
    return f"""<form class="office-form" method="get" action="/">
<label for="office">{escape(_("Office"))}</label>
<select id="office" name="office">{"".join(options)}</select>{hidden}
<button type="submit">{escape(_("Show"))}</button>
</form>"""


def _option(code: str, name: str, chosen: str) -> str:
    selected = " selected" if code == chosen else ""
    return f'<option value="{escape(code)}"{selected}>{escape(name)}</option>'


async def dataset_csv(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in DATASETS:
        raise web.HTTPNotFound(text="no such data set")
    office = requested_office(request)
    figures = await figures_for(request, office)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    found = next(item for item in datasets(figures) if item.name == name)
    writer.writerow(["key", *found.headings])
    if not figures.too_few:
        writer.writerows(found.rows)
    suffix = "" if office == RI else f"-{office}"
    return web.Response(
        body=("\ufeff" + buffer.getvalue()).encode(),  # the BOM: Excel then reads UTF-8
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}{suffix}.csv"'},
    )
