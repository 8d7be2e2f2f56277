"""Cleaning PDFs and videos of what they say about who made them (author, software, the
phone's make and model, where a video was shot) before they are stored or shown to staff.

Cleaning means parsing the reporter's file with qpdf (pikepdf) or FFmpeg (PyAV): C and C++
libraries fed untrusted bytes. Each file is therefore cleaned in a child process with its
own memory and CPU limits and a deadline (runner.py), so a crash or a hang in a parser costs
one refused file, never the bot. Pictures stay in-process (bot/services/images.py): Pillow
decodes them in a thread, and the photo path's speed is what the evidence benchmark holds."""
