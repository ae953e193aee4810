# The article's "WebSocket Server Code", as printed, with one change: the
# port comes from the command line (default 8765, as in the article).
# It uses the `websockets` API of its time: the two-argument handler
# `echo(websocket, path)` and `asyncio.get_event_loop()`. websockets 13.x
# (pinned in requirements.txt) still runs it; 14 and later do not.
# Run: python3 -u ws_server.py [PORT]
import asyncio
import sys
import websockets

async def echo(websocket, path):
    async for message in websocket:
        print(f"Received Message: {message}")
        await websocket.send(f"Server Response: {message}")

start_server = websockets.serve(echo, "localhost", int(sys.argv[1]) if len(sys.argv) > 1 else 8765)

# Start the server
asyncio.get_event_loop().run_until_complete(start_server)
print("WebSocket server started.")
asyncio.get_event_loop().run_forever()
