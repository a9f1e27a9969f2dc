// The static site's lesson page: the controls rerun the lesson in this
// browser. A runner (runner.js, Go compiled to WebAssembly) in a Web
// Worker runs each request in a lesson worker of its own; a newer change
// cancels the older run, which terminates its worker. The cells fill as
// the output arrives, as in the live notebook.
(function() {
  'use strict';
  var form = document.getElementById('controls');
  var L = window.rlhfsimLesson;
  if (!form || !L) { return; }
  var rt = 'rt/';
  // A class's server (rlhfsim serve --class --site) says who the student
  // is and gives their variant, which the course secret draws: the name
  // is theirs to read, not to change.
  var C = window.rlhfsimClass || null;
  if (C) {
    var who = document.getElementById('p-student');
    if (who) {
      who.value = C.student; who.readOnly = true; who.setAttribute('aria-readonly', 'true');
      var help = who.nextElementSibling;
      if (help) { help.textContent = 'set by your personal link, with your own variant of the hidden world'; }
    }
    // The class's server keeps the answers: nothing to download.
    var dl = document.querySelector('.download');
    if (dl) { dl.hidden = true; }
    // The questions shown are the standard world's, until the student's
    // own run replaces them: an answer now would be to another world.
    document.querySelectorAll('main .quiz button, main .quiz input').forEach(function(b) { b.disabled = true; });
  }
  var runner = null, ready = false, failed = '', runID = 0, timer = null, running = null, editor = null;
  // The source whose cells the page shows: a run of another one sends
  // its own cells first.
  var shown = L.source;
  // An edit belongs to this version of the lesson.
  var editKey = 'rlhfsim:edit:' + L.id + ':' + L.version;
  var first = (document.getElementById('status') || {}).textContent || '';
  // Local storage can be refused (cookies blocked): the page then works
  // without keeping edits.
  var store = {
    get: function(k) { try { return localStorage.getItem(k); } catch (e) { return null; } },
    set: function(k, v) { try { localStorage.setItem(k, v); } catch (e) {} },
    remove: function(k) { try { localStorage.removeItem(k); } catch (e) {} }
  };
  function status(t, bad) {
    var s = document.getElementById('status');
    if (s) { s.textContent = t; s.classList.toggle('bad', !!bad); }
  }
  function bind(root) { window.rlhfsimQuizzes(root); }
  function cell(i) { return document.getElementById('cell-' + i); }
  // values are the run's settings: only the parameters changed from
  // their defaults, so that a default edited in the code takes effect.
  function values() {
    var set = {}, seed = 1, student = '', bad = null;
    form.querySelectorAll('input,select').forEach(function(el) {
      var v = el.type === 'checkbox' ? String(el.checked) : el.value;
      if (el.name === 'seed') {
        seed = Number(v);
        if (!/^[0-9]+$/.test(v.trim()) || seed < 1 || seed > 1000000) { bad = el; }
      } else if (el.name === 'student') { student = C ? C.student : v; }
      else if (el.name && (!L.defaults || L.defaults[el.name] !== v)) { set[el.name] = v; }
    });
    return {set: set, seed: seed, student: student, bad: bad};
  }
  function query() {
    var q = new URLSearchParams();
    form.querySelectorAll('input,select').forEach(function(el) {
      q.set(el.name, el.type === 'checkbox' ? String(el.checked) : el.value);
    });
    return q;
  }
  function source() {
    var s = editor ? editor.getValue() : store.get(editKey);
    return s === null ? L.source : s;
  }
  function start() {
    if (runner) { return; }
    status('Loading the simulator (about 15 MB, once)…');
    try {
      runner = new Worker(rt + 'runner.js');
    } catch (e) {
      status('This page cannot start the simulator here: ' + e.message + '. Serve the folder with a web server (file:// pages cannot start it).', true);
      return;
    }
    runner.onmessage = function(e) { receive(JSON.parse(e.data)); };
    runner.onerror = function(e) {
      failed = 'The simulator failed to load: ' + (e.message || 'unknown error') + '. Serve the folder with a web server (file:// pages cannot load it).';
      status(failed, true);
    };
  }
  function run() {
    start();
    if (!runner) { return; }
    // A runtime that did not load will not run anything: say so again.
    if (failed) { status(failed, true); return; }
    var v = values(), src = source();
    form.querySelectorAll('[aria-invalid]').forEach(function(el) { el.removeAttribute('aria-invalid'); });
    if (v.bad) {
      v.bad.setAttribute('aria-invalid', 'true');
      status('Not run: the seed is a whole number from 1 to 1000000.', true);
      return;
    }
    runID++;
    markLine(0);
    history.replaceState(null, '', '?' + query());
    status(ready ? 'Running…' : 'Loading the simulator, then running…');
    window.rlhfsimTimes = [['run', -1, performance.now()]];
    window.rlhfsimWarm = false;
    runner.postMessage({run: JSON.stringify({id: runID, lesson: {id: L.id, file: L.file, source: src},
      set: v.set, seed: v.seed, student: v.student, variant: C ? C.variant : '', edited: src !== shown, prev: L.prev, next: L.next,
      cellLimit: L.cellLimit, lessonLimit: L.lessonLimit})});
    shown = src;
  }
  function receive(d) {
    if (d.type === 'ready') {
      ready = true;
      // Before any run the page shows its first state: what the run at
      // the defaults did (a stopped lesson says so), now rerunnable.
      if (runID === 0) { status(/^Up to date/.test(first) ? 'Up to date: the outputs below are a run at the defaults. Change a value, or the code, and the lesson reruns in this browser.' : first); }
      return;
    }
    // The next run's lesson worker is started and waiting: tests and
    // benchmarks time runs from here.
    if (d.type === 'warm') { window.rlhfsimWarm = true; return; }
    // A lesson worker was terminated: a newer run took over, or a time
    // limit stopped it.
    if (d.type === 'terminated') { window.rlhfsimTerminated = (window.rlhfsimTerminated || 0) + 1; return; }
    if (d.type === 'log') {
      console.log('rlhfsim runner: ' + d.text);
      window.rlhfsimLog = (window.rlhfsimLog || '') + d.text;
      return;
    }
    if (d.type === 'fatal') {
      failed = 'The simulator could not load: ' + d.message + (location.protocol === 'file:' ? ' (pages opened as files cannot load it: serve the folder with a web server)' : '');
      status(failed, true);
      return;
    }
    // The older runs' messages are late: only this run's count.
    if (d.id !== runID) { return; }
    (window.rlhfsimTimes = window.rlhfsimTimes || []).push([d.type, d.cell, performance.now()]);
    var c;
    switch (d.type) {
    case 'skeleton':
      replaceMain(d.html);
      break;
    case 'start':
      c = cell(d.cell);
      if (running) { running.classList.remove('running'); }
      if (!c) { return; }
      c.querySelectorAll('.out,figure,table.nbt,.check,.quiz,.error,.notrun,.live').forEach(function(n) { n.remove(); });
      c.classList.add('running'); running = c;
      status('Running cell ' + (d.cell + 1) + '…');
      break;
    case 'item':
      c = cell(d.cell);
      if (!c) { return; }
      var box = document.createElement('div'); box.className = 'live'; box.innerHTML = d.html;
      c.appendChild(box);
      bind(c);
      break;
    case 'done':
      running = null;
      replaceMain(d.html);
      status(d.status, d.stopped);
      break;
    case 'broken':
      running = null;
      // The page may show the cells of the version that does not load.
      document.querySelectorAll('main .notrun').forEach(function(n) { n.textContent = '(not run: the lesson does not load)'; });
      status('The lesson does not load: ' + d.file + ':' + d.line + ': ' + d.message, true);
      openEditor(function() { markLine(d.line, d.message); });
      break;
    case 'invalid':
      var el = d.field && form.querySelector('[name="' + CSS.escape(d.field) + '"]');
      if (el) { el.setAttribute('aria-invalid', 'true'); el.focus(); }
      status('Not run: ' + d.message, true);
      break;
    case 'failure':
      status('Failed: ' + d.message, true);
      break;
    }
  }
  function replaceMain(html) {
    var doc = new DOMParser().parseFromString(html, 'text/html');
    document.querySelector('main').replaceWith(doc.querySelector('main'));
    // The body says which run the page shows: seed, student, variant.
    ['seed', 'student', 'variant'].forEach(function(k) { document.body.dataset[k] = doc.body.dataset[k] || ''; });
    bind(document);
  }

  // The editor: the lesson's source in CodeMirror, rerun as edited; the
  // edit is kept in this browser until put back.
  var panel = document.createElement('section');
  panel.className = 'editor';
  panel.innerHTML = '<p><button type="button" id="edit-open">Edit this lesson\'s code</button></p>' +
    '<div id="edit-box" hidden><p class="meta">Your version of ' + L.file.replace(/[<&>"]/g, '') + ', kept in this browser; it runs here with the same checks and limits as the course\'s. ' +
    (L.release ? 'This is the students\' version: an exercise stops with “not written yet” until you write it, and the quizzes\' answers are left out.' :
      'This is the whole source, so the answers to the quizzes and the exercises\' solutions are in it: try the questions first.') + '</p>' +
    '<pre id="edit-error" class="error" role="alert" hidden></pre><div id="edit-area"></div>' +
    '<p><button type="button" id="edit-run">Run my version</button> <button type="button" id="edit-reset">Put the course\'s version back</button></p></div>';
  form.after(panel);
  function loadEditor(then) {
    if (window.CodeMirror) { then(); return; }
    var css = document.createElement('link'); css.rel = 'stylesheet'; css.href = rt + 'codemirror/codemirror.css';
    document.head.appendChild(css);
    var s = document.createElement('script'); s.src = rt + 'codemirror/codemirror.js';
    s.onload = function() {
      var g = document.createElement('script'); g.src = rt + 'codemirror/go.js'; g.onload = then;
      document.head.appendChild(g);
    };
    document.head.appendChild(s);
  }
  function openEditor(then) {
    var box = document.getElementById('edit-box');
    box.hidden = false;
    document.getElementById('edit-open').hidden = true;
    if (editor) { if (then) { then(); } return; }
    loadEditor(function() {
      editor = CodeMirror(document.getElementById('edit-area'), {value: source(), mode: 'go', lineNumbers: true, indentUnit: 4, tabSize: 4, indentWithTabs: true, viewportMargin: 20,
        screenReaderLabel: 'The source of ' + L.file});
      // Keyboard users can scroll the editor as they can the page's code.
      editor.getScrollerElement().setAttribute('tabindex', '0');
      editor.getScrollerElement().setAttribute('aria-label', 'The source of ' + L.file + ', scrollable');
      editor.on('change', function() {
        if (editor.getValue() === L.source) { store.remove(editKey); } else { store.set(editKey, editor.getValue()); }
      });
      if (then) { then(); }
    });
  }
  var marked = null;
  function markLine(line, msg) {
    var err = document.getElementById('edit-error');
    if (editor && marked !== null) { editor.removeLineClass(marked, 'background', 'cm-error-line'); marked = null; }
    if (!line) { err.hidden = true; return; }
    err.textContent = L.file + ':' + line + ': ' + msg;
    err.hidden = false;
    if (editor) {
      marked = line - 1;
      editor.addLineClass(marked, 'background', 'cm-error-line');
      editor.scrollIntoView({line: marked, ch: 0}, 100);
      editor.setCursor({line: marked, ch: 0});
      // Bring the line to the middle of the window, below the sticky
      // controls.
      window.scrollTo(0, editor.charCoords({line: marked, ch: 0}, 'page').top - window.innerHeight / 2);
    }
  }
  document.getElementById('edit-open').addEventListener('click', function() { openEditor(); });
  document.getElementById('edit-run').addEventListener('click', run);
  document.getElementById('edit-reset').addEventListener('click', function() {
    store.remove(editKey);
    if (editor) { editor.setValue(L.source); }
    run();
  });

  bind(document);
  form.addEventListener('submit', function(e) { e.preventDefault(); });
  form.addEventListener('input', function(e) {
    var o = form.querySelector('output[for="' + e.target.id + '"]');
    if (o) { o.textContent = e.target.value; }
    clearTimeout(timer); timer = setTimeout(run, 400);
  });
  form.addEventListener('change', function(e) {
    if (e.target.tagName === 'SELECT' || e.target.type === 'checkbox') { clearTimeout(timer); timer = setTimeout(run, 400); }
  });
  // Values in the address (a shared link, a reload) or an edit kept from
  // before: the page shows the defaults' outputs, so run what was asked.
  var q = new URLSearchParams(location.search), asked = false;
  q.forEach(function(v, k) {
    var el = form.querySelector('[name="' + CSS.escape(k) + '"]');
    if (!el || (C && k === 'student')) { return; }
    if (el.type === 'checkbox') { if (String(el.checked) !== v) { el.checked = v === 'true'; asked = true; } }
    else if (el.value !== v) {
      el.value = v; asked = true;
      var o = form.querySelector('output[for="' + el.id + '"]'); if (o) { o.textContent = v; }
    }
  });
  if (store.get(editKey) !== null) { asked = true; openEditor(); }
  // The page shows the standard world's outputs: a class's student runs
  // their own at once.
  if (C) { asked = true; }
  if (asked) { run(); } else { start(); }
})();
