"""The courier's scanner client: codes from a keyboard-wedge scanner or a pipe, an offline
SQLite queue, uploads through `POST /v1/events:batch`, and the progress display.
"""
