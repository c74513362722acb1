// Runs portable test modules under the MicroPython WebAssembly port.
//
// usage: node tests/mpy/run.mjs REPO_ROOT [--copy DIR]... TEST_FILE...
//        node tests/mpy/run.mjs REPO_ROOT [--copy DIR]... --exec SCRIPT.py
//        (runs one script as __main__, e.g. a benchmark; exit 0 unless it raises)
//
// Every .py file under each --copy DIR (relative to REPO_ROOT, default
// "firmware") is placed in MicroPython's in-memory filesystem at the same
// relative path, so `import firmware.core.mrz` works unmodified. Each test
// module's functions named test_* are called with no arguments. Prints one
// line per test and a final JSON summary line; exits 1 if any test failed.
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";
import fs from "node:fs";
import path from "node:path";

const argv = process.argv.slice(2);
const root = path.resolve(argv.shift());
const copies = [];
const tests = [];
let execScript = null;
while (argv.length) {
  const a = argv.shift();
  if (a === "--copy") copies.push(argv.shift());
  else if (a === "--exec") execScript = argv.shift();
  else tests.push(a);
}
if (!copies.length) copies.push("firmware");

let out = "";
const mp = await loadMicroPython({
  stdout: (line) => { out += line + "\n"; process.stdout.write(line + "\n"); },
  stderr: (line) => process.stderr.write(line + "\n"),
  linebuffer: true,
  heapsize: 64 * 1024 * 1024,
});

function mkdirs(p) {
  let cur = "";
  for (const part of p.split("/").filter(Boolean)) {
    cur += "/" + part;
    try { mp.FS.mkdir(cur); } catch (e) { /* exists */ }
  }
}
function copyTree(rel) {
  const abs = path.join(root, rel);
  const st = fs.statSync(abs);
  if (st.isDirectory()) {
    for (const name of fs.readdirSync(abs)) {
      if (name === "__pycache__") continue;
      copyTree(path.join(rel, name));
    }
  } else if (rel.endsWith(".py")) {
    mkdirs("/app/" + path.dirname(rel));
    mp.FS.writeFile("/app/" + rel, fs.readFileSync(abs));
  }
}
// parent packages' __init__.py files, so nested packages import
for (const c of copies) {
  let d = path.dirname(c);
  while (d && d !== ".") {
    const init = path.join(d, "__init__.py");
    if (fs.existsSync(path.join(root, init))) copyTree(init);
    d = path.dirname(d);
  }
  copyTree(c);
}
mkdirs("/tests");
if (execScript !== null) {
  try {
    mp.runPython("import sys\nsys.path.insert(0, '/app')\n" + fs.readFileSync(path.resolve(execScript), "utf8"));
  } catch (e) {
    process.stderr.write(String(e.message || e) + "\n");
    process.exit(1);
  }
  process.exit(0);
}
const modules = [];
for (const t of tests) {
  const name = path.basename(t, ".py");
  mp.FS.writeFile("/tests/" + name + ".py", fs.readFileSync(path.resolve(t)));
  modules.push(name);
}

const runner = `
import sys, json
sys.path.insert(0, '/tests')
sys.path.insert(0, '/app')
passed = 0
failed = []
for modname in ${JSON.stringify(modules)}:
    mod = __import__(modname)
    for name in sorted(dir(mod)):
        if not name.startswith('test_'):
            continue
        fn = getattr(mod, name)
        if not callable(fn):
            continue
        try:
            fn()
            passed += 1
            print('PASS %s.%s' % (modname, name))
        except Exception as e:
            failed.append('%s.%s' % (modname, name))
            print('FAIL %s.%s: %s %s' % (modname, name, type(e).__name__, e))
            sys.print_exception(e)
print('MPY-SUMMARY ' + json.dumps({'passed': passed, 'failed': failed}))
`;
try {
  mp.runPython(runner);
} catch (e) {
  process.stderr.write(String(e.message || e) + "\n");
  process.exit(2);
}
const m = out.match(/MPY-SUMMARY (.*)/);
process.exit(m && JSON.parse(m[1]).failed.length === 0 ? 0 : 1);
