// The I/O board's protocol code (firmware/ioboard/protocol.py) under the MicroPython
// WebAssembly port, as one end of a pty: tests/fake_board.py's MicroPythonBoard writes one
// JSON line per turn to stdin ({rx: hex bytes from the Pi, now: board ms, tamper, presence,
// hb}) and reads one JSON line back ({tx: hex bytes to the Pi, leds, wdt, tamper, presence,
// reset}). Each turn does what firmware/ioboard/board/main.py's loop does, minus the pins.
//
// usage: node tests/mpy/board.mjs REPO_ROOT
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";

const root = path.resolve(process.argv[2]);
const mp = await loadMicroPython({
  stdout: (line) => process.stderr.write(line + "\n"),
  stderr: (line) => process.stderr.write(line + "\n"),
  linebuffer: true,
});
mp.FS.mkdir("/app");
// protocol.py alone, as on the board (it must import nothing else of the repository)
mp.FS.writeFile("/app/protocol.py", fs.readFileSync(path.join(root, "firmware/ioboard/protocol.py")));
mp.runPython(`
import sys
sys.path.insert(0, "/app")
import json
from protocol import BoardState, LineReader, encode

state = BoardState(0)
reader = LineReader()

def turn(request):
    r = json.loads(request)
    now = r["now"]
    out = []
    for line in reader.feed(bytes.fromhex(r["rx"])):
        out += state.handle_line(line, now)
    reset = state.tick(now)
    events = state.set_inputs(r["tamper"], r["presence"], now)
    if r["hb"]:
        events += state.heartbeat(now)
    for e in events:
        out.append(encode(e))
    return json.dumps({"tx": b"".join(out).hex(), "leds": state.leds, "wdt": state.wdt_s,
                       "tamper": state.tamper, "presence": state.presence, "reset": reset,
                       "impl": sys.implementation.name})
`);
const turn = mp.globals.get("turn");
const lines = readline.createInterface({ input: process.stdin });
for await (const request of lines) {
  process.stdout.write(turn(request) + "\n");
}
