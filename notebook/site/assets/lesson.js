// A lesson worker: one run of one lesson, in the WebAssembly module the
// runner compiled (worker.ServeJS). The runner terminates it to stop it.
'use strict';
importScripts('wasm_exec.js');
var decoder = new TextDecoder();
var write = globalThis.fs.writeSync.bind(globalThis.fs);
// What the Go runtime writes is its last words when it dies: the runner
// reads "stack overflow" or "out of memory" in them, as a native runner
// reads a worker process's standard error.
globalThis.fs.writeSync = function(fd, buf) {
  postMessage({err: decoder.decode(buf)});
  return write(fd, buf);
};
self.rlhfsimRole = 'lesson';
self.rlhfsimReady = function() { postMessage({ready: true}); };
self.rlhfsimReport = function(line) { postMessage({line: line}); };
onmessage = function(e) {
  var d = e.data;
  if (d.module) {
    var go = new Go(), code = 0;
    go.exit = function(c) { code = c; };
    WebAssembly.instantiate(d.module, go.importObject).then(function(inst) {
      return go.run(inst);
    }).then(function() {
      postMessage({exit: code});
    }, function(err) {
      postMessage({exit: -1, error: String((err && err.message) || err)});
    });
  }
  if (d.request) { self.rlhfsimRequest(d.request); }
};
