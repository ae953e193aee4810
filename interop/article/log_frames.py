# Runs one of the article's programs with the `websockets` debug log on
# standard error. That log shows each frame sent (">") and received ("<"),
# so the interop suite can check the close handshake (">  CLOSE 1000",
# "< CLOSE 1000") without changing the article's code.
# Run: python3 -u log_frames.py ws_server.py [PORT]
import logging
import runpy
import sys

logging.basicConfig(level=logging.DEBUG, format="%(name)s %(message)s", stream=sys.stderr)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
