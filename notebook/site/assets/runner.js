// The runner: Go (package browser) in a Web Worker of its own. It compiles
// the WebAssembly module once, keeps one lesson worker started ahead, and
// gives Go rlhfsimSpawn to start lesson workers and terminate them.
'use strict';
importScripts('wasm_exec.js');
self.rlhfsimRole = 'runner';
// What the Go runtime of the runner writes goes to the page's console,
// and its last words into the message if it dies.
var decoder = new TextDecoder(), lastWords = '';
var write = globalThis.fs.writeSync.bind(globalThis.fs);
globalThis.fs.writeSync = function(fd, buf) {
  var t = decoder.decode(buf);
  if (lastWords.length < 65536) { lastWords += t; }
  postMessage(JSON.stringify({type: 'log', text: t}));
  return write(fd, buf);
};
var module = null, standby = null, goReady = false, queued = null;

function compile(url) {
  function plain() {
    return fetch(url).then(function(r) {
      if (!r.ok) { throw new Error(url + ': ' + r.status + ' ' + r.statusText); }
      return r.arrayBuffer();
    }).then(function(b) { return WebAssembly.compile(b); });
  }
  if (!WebAssembly.compileStreaming) { return plain(); }
  // Streaming needs the server to say application/wasm; not every file
  // server does.
  return WebAssembly.compileStreaming(fetch(url)).catch(plain);
}

function LessonWorker() {
  var self_ = this;
  this.w = new Worker('lesson.js');
  this.ready = false; this.pending = null; this.dead = false; this.last = '';
  this.onLine = null; this.onExit = null;
  this.w.onmessage = function(e) {
    var d = e.data;
    if (self_.dead) { return; }
    if (d.ready) {
      self_.ready = true;
      if (self_ === standby && goReady) { postMessage(JSON.stringify({type: 'warm'})); }
      if (self_.pending !== null) { self_.w.postMessage({request: self_.pending}); self_.pending = null; }
    } else if (d.line !== undefined) {
      if (self_.onLine) { self_.onLine(d.line); }
    } else if (d.err !== undefined) {
      if (self_.last.length < 65536) { self_.last += d.err; }
    } else if (d.exit !== undefined) {
      self_.end(d.exit, d.error || '');
    }
  };
  this.w.onerror = function(ev) {
    ev.preventDefault();
    self_.end(-1, ev.message || 'the lesson worker failed');
  };
  this.w.postMessage({module: module});
}
LessonWorker.prototype.end = function(code, error) {
  if (this.dead) { return; }
  this.dead = true;
  if (this.onExit) { this.onExit(code, this.last, error); }
  this.w.terminate();
};
LessonWorker.prototype.send = function(req) {
  if (this.ready) { this.w.postMessage({request: req}); } else { this.pending = req; }
};

// rlhfsimSpawn is what package worker calls to start a lesson worker.
self.rlhfsimSpawn = function(req, onLine, onExit) {
  // A standby that died before its run (its module did not instantiate)
  // must not be handed one: it would never answer.
  var w = standby && !standby.dead ? standby : new LessonWorker();
  standby = null;
  w.onLine = onLine; w.onExit = onExit;
  w.send(req);
  // The next run's worker starts now, so that it is ready by then.
  setTimeout(function() { if (!standby) { standby = new LessonWorker(); } }, 0);
  return {terminate: function() {
    w.dead = true;
    w.w.terminate();
    postMessage(JSON.stringify({type: 'terminated'}));
  }};
};
self.rlhfsimPost = function(m) { postMessage(m); };
self.rlhfsimReady = function() {
  goReady = true;
  postMessage(JSON.stringify({type: 'ready'}));
  if (standby && standby.ready) { postMessage(JSON.stringify({type: 'warm'})); }
  if (queued !== null) { self.rlhfsimRun(queued); queued = null; }
};
onmessage = function(e) {
  var d = e.data;
  if (d.run) {
    if (goReady) { self.rlhfsimRun(d.run); } else { queued = d.run; }
  } else if (d.cancel && goReady) {
    self.rlhfsimCancel();
  }
};
compile('rlhfsim.wasm').then(function(m) {
  module = m;
  standby = new LessonWorker();
  var go = new Go();
  return WebAssembly.instantiate(m, go.importObject).then(function(inst) { return go.run(inst); }).then(function() {
    // The runner never returns: if it does, it died.
    goReady = false;
    postMessage(JSON.stringify({type: 'fatal', message: 'the simulator stopped: ' + lastWords.trim().split('\n').slice(0, 3).join(' ')}));
  });
}).catch(function(err) {
  postMessage(JSON.stringify({type: 'fatal', message: String((err && err.message) || err)}));
});
