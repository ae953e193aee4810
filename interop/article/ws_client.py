# The article's "WebSocket Client Code", as printed, with one change: the
# URL comes from the command line (default ws://localhost:8765, as in the
# article). Run: echo hello | python3 ws_client.py [URL]
import asyncio
import sys
import websockets

async def send_message():
    async with websockets.connect(sys.argv[1] if len(sys.argv) > 1 else "ws://localhost:8765") as websocket:
        message = input("Enter a message: ")
        await websocket.send(message)
        print(f"Sent message: {message}")
        
        response = await websocket.recv()
        print(f"Received response: {response}")

# Run the client
asyncio.get_event_loop().run_until_complete(send_message())
