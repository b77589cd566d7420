// term.js: the page's side of bp in the browser.
//
// bp's C code (bp.js/bp.wasm, entry points in web/bp_web.c) runs the
// statements; this file is the terminal around it, in place of Readline:
// a line editor on xterm.js (history with Up/Down, Tab completion from
// the C word lists, the continuation prompt), Ctrl-C, the examples, the
// ?e= and ?example= parameters, and the plain-text transcript.
//
// One call into C runs at a time (`busy`).  A long statement yields to
// the browser every 50 ms (web_poll in bp_web.c); meanwhile keys are kept
// as typeahead, except Ctrl-C, which writes 1 into the C flag the loops
// poll.
'use strict';

var Module = (function () {
  const PROMPT = 'bp> ', CONT = '..> ';
  const termEl = document.getElementById('terminal');
  const transcriptEl = document.getElementById('transcript');

  const term = new Terminal({
    convertEol: true, cursorBlink: true, scrollback: 10000, fontSize: 14,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
    theme: { background: '#1e1e1e' },
  });
  const fit = new FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open(termEl);
  fit.fit();

  // ---- output: the terminal, the transcript, the dot panel -------------

  const decoder = new TextDecoder();
  // CSI and OSC sequences, and carriage returns: not in the transcript.
  const ANSI = /\x1b\[[0-9;?]*[ -\/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[@-_]|\r/g;
  let partial = '';          // the transcript's text not yet ended by \n
  let dotLines = null;       // collecting a `digraph` block

  function transcript(text) {
    text = text.replace(ANSI, '');
    if (!text) return;
    transcriptEl.append(text);
    // dot output: the lines from `digraph ... {` to `}`
    const lines = (partial + text).split('\n');
    partial = lines.pop();
    for (const line of lines) {
      if (dotLines === null && /^digraph .*\{$/.test(line)) dotLines = [];
      if (dotLines === null) continue;
      dotLines.push(line);
      if (line === '}') { showDot(dotLines.join('\n') + '\n'); dotLines = null; }
    }
  }

  function showDot(text) {
    document.getElementById('dot-text').textContent = text;
    document.getElementById('dot').hidden = false;
  }
  document.getElementById('dot-copy').addEventListener('click', () => {
    const text = document.getElementById('dot-text').textContent;
    const done = () => { document.getElementById('dot-copy').textContent = 'Copied'; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, selectDot);
    } else {
      selectDot();
    }
  });
  function selectDot() {   // no clipboard API (plain http): select it for Ctrl-C
    const r = document.createRange();
    r.selectNodeContents(document.getElementById('dot-text'));
    getSelection().removeAllRanges();
    getSelection().addRange(r);
  }

  // Text the page itself shows (prompts, echoed lines, ^C).
  function show(text) {
    term.write(text);
    transcript(text);
  }

  // ---- the line editor --------------------------------------------------

  let prompt = PROMPT, buf = '', cur = 0, shownRow = 0;
  const hist = [];
  let hidx = 0, saved = '';
  let busy = true, typeahead = '', lastKeyTab = false;
  let flagAddr = 0, alive = true, lastRunMs = 0;

  // Redraw the prompt and the line (which may wrap) and place the cursor.
  function render() {
    const cols = term.cols;
    let s = shownRow > 0 ? '\x1b[' + shownRow + 'A' : '';
    s += '\r\x1b[J' + prompt + buf;
    const total = prompt.length + buf.length;
    const endRow = Math.floor(total / cols);
    if (total % cols === 0 && buf.length) s += '\r\n';   // leave the pending wrap
    const pos = prompt.length + cur;
    const row = Math.floor(pos / cols), col = pos % cols;
    if (endRow > row) s += '\x1b[' + (endRow - row) + 'A';
    s += '\r' + (col ? '\x1b[' + col + 'C' : '');
    shownRow = row;
    term.write(s);
  }

  function newPrompt(p) {
    prompt = p;
    buf = '';
    cur = 0;
    shownRow = 0;
    hidx = hist.length;
    term.write(prompt);
  }

  const utf8 = new TextEncoder();
  const bytes = (s) => utf8.encode(s).length;

  function complete(twice) {
    const res = Module.ccall('web_complete', 'string', ['string', 'number'],
                             [buf, bytes(buf.slice(0, cur))]);
    const lines = res.split('\n');
    lines.pop();
    const startByte = parseInt(lines.shift(), 10);
    let start = 0;
    while (start < cur && bytes(buf.slice(0, start)) < startByte) start++;
    const word = buf.slice(start, cur);
    const cands = [...new Set(lines)].sort();
    if (!cands.length) return;
    let common = cands[0];
    for (const c of cands) while (!c.startsWith(common)) common = common.slice(0, -1);
    let insert = common.slice(word.length);
    if (cands.length === 1) insert += buf[start - 1] === '"' ? '"' : ' ';
    if (insert) {
      buf = buf.slice(0, cur) + insert + buf.slice(cur);
      cur += insert.length;
      render();
    } else if (twice) {          // as Readline: the second Tab lists them
      const width = Math.max(...cands.map((c) => c.length)) + 2;
      const per = Math.max(1, Math.floor(term.cols / width));
      let out = '';
      cands.forEach((c, i) => { out += c.padEnd(width) + ((i + 1) % per ? '' : '\n'); });
      if (cands.length % per) out += '\n';
      const keep = cur;
      cur = buf.length;
      render();
      term.write('\r\n');
      transcript(prompt + buf + '\n');
      show(out.replace(/ +\n/g, '\n'));
      shownRow = 0;
      cur = keep;
      render();
    }
  }

  // Enter: the line goes to bp.
  async function enter() {
    const line = buf;
    cur = buf.length;
    render();
    term.write('\r\n');
    transcript(prompt + line + '\n');
    if (line.trim()) hist.push(line);
    busy = true;
    let r;
    // the size now: a resize while C code ran (busy) did not reach it
    Module.ccall('web_resize', null, ['number', 'number'], [term.cols, term.rows]);
    const t0 = performance.now();
    try {
      r = await Module.ccall('web_line', 'number', ['string'], [line], { async: true });
    } catch (e) {
      return stopped(e);
    }
    lastRunMs = performance.now() - t0;
    busy = false;
    newPrompt(r === 1 ? CONT : PROMPT);
    drain();
  }

  function drain() {
    if (!alive || busy) return;
    if (startLines.length) {
      const line = startLines.shift();
      buf = line;
      cur = line.length;
      render();
      enter();
      return;
    }
    if (!startLines.done) {
      startLines.done = true;
      document.documentElement.dataset.bpReady = Math.round(performance.now());
    }
    if (typeahead) {
      const t = typeahead;
      typeahead = '';
      input(t);
    }
  }

  function stopped(e) {
    alive = false;
    busy = true;
    const why = e && e.status !== undefined ? 'exit status ' + e.status : String(e);
    show('\n\x1b[31mbp stopped (' + why + '): reload the page to start again.\x1b[0m\n');
  }

  function interrupt() {
    if (busy) {
      typeahead = '';
      startLines.length = 0;
      if (flagAddr) Module.HEAP32[flagAddr >> 2] = 1;
      show('^C\n');
      return;
    }
    cur = buf.length;
    render();
    term.write('^C\r\n');
    transcript(prompt + buf + '^C\n');
    Module.ccall('web_cancel', null, [], []);
    newPrompt(PROMPT);
  }

  function historyMove(d) {
    if (hidx === hist.length) saved = buf;
    const n = Math.min(hist.length, Math.max(0, hidx + d));
    if (n === hidx) return;
    hidx = n;
    buf = hidx === hist.length ? saved : hist[hidx];
    cur = buf.length;
    render();
  }

  const isWord = (c) => /[A-Za-z0-9_.]/.test(c);

  // Keys and pasted text, as xterm.js delivers them.
  function input(data) {
    for (let i = 0; i < data.length; i++) {
      if (!alive) return;
      if (busy) {
        const rest = data.slice(i);
        if (rest.includes('\x03')) interrupt(); else typeahead += rest;
        return;
      }
      let c = data[i];
      const tab = c === '\t';
      if (c === '\x1b') {                       // an escape sequence
        const m = /^\x1b(\[[0-9;]*[ -\/]*[@-~]|O[A-Za-z]|.)?/.exec(data.slice(i));
        c = m[0];
        i += c.length - 1;
      }
      switch (c) {
      case '\r': case '\n':
        if (c === '\n' && data[i - 1] === '\r') break;
        enter();
        break;
      case '\x03': interrupt(); break;
      case '\t': complete(lastKeyTab); break;
      case '\x7f': case '\x08':
        if (cur > 0) { buf = buf.slice(0, cur - 1) + buf.slice(cur); cur--; render(); }
        break;
      case '\x04': case '\x1b[3~':
        if (cur < buf.length) { buf = buf.slice(0, cur) + buf.slice(cur + 1); render(); }
        break;
      case '\x1b[D': case '\x02': if (cur > 0) { cur--; render(); } break;
      case '\x1b[C': case '\x06': if (cur < buf.length) { cur++; render(); } break;
      case '\x1b[H': case '\x1bOH': case '\x1b[1~': case '\x01': cur = 0; render(); break;
      case '\x1b[F': case '\x1bOF': case '\x1b[4~': case '\x05': cur = buf.length; render(); break;
      case '\x1b[A': case '\x1bOA': case '\x10': historyMove(-1); break;
      case '\x1b[B': case '\x1bOB': case '\x0e': historyMove(1); break;
      case '\x0b': buf = buf.slice(0, cur); render(); break;
      case '\x15': buf = buf.slice(cur); cur = 0; render(); break;
      case '\x17': {
        let k = cur;
        while (k > 0 && buf[k - 1] === ' ') k--;
        while (k > 0 && isWord(buf[k - 1])) k--;
        if (k === cur && k > 0) k--;
        buf = buf.slice(0, k) + buf.slice(cur);
        cur = k;
        render();
        break;
      }
      case '\x0c': term.clear(); shownRow = 0; render(); break;
      default:
        if (c.length === 1 && c >= ' ') {
          let j = i + 1;                        // a run of plain text at once
          while (j < data.length && data[j] >= ' ' && data[j] !== '\x7f') j++;
          // (pasted C1 controls, U+0080..U+009F, dropped: CSI to xterm.js)
          const text = data.slice(i, j).replace(/[\x80-\x9f]/g, '');
          buf = buf.slice(0, cur) + text + buf.slice(cur);
          cur += text.length;
          i = j - 1;
          render();
        }
      }
      lastKeyTab = tab;
    }
  }
  term.onData(input);

  // Ctrl-C with text selected in the terminal copies it, as in the
  // terminals of Windows and VS Code (xterm.js would send ^C and drop the
  // line, or stop the computation); the selection then goes, so a second
  // Ctrl-C interrupts.  (Cmd-C on a Mac always copies.)
  term.attachCustomKeyEventHandler((e) => {
    if (e.type === 'keydown' && e.ctrlKey && !e.altKey && !e.shiftKey && !e.metaKey &&
        (e.key === 'c' || e.key === 'C') && term.hasSelection()) {
      setTimeout(() => term.clearSelection(), 0);   // after the copy event
      return false;                                 // the browser copies
    }
    return true;
  });

  window.addEventListener('resize', () => {
    fit.fit();
    if (!busy) Module.ccall('web_resize', null, ['number', 'number'], [term.cols, term.rows]);
  });

  // ---- statements at load: ?example=NAME and ?e=STATEMENTS, in order ----
  // (decoded by hand: URLSearchParams would turn a + into a space)

  // Control characters (but tab) are dropped from a link's statements, as
  // they cannot be typed: an ESC in a link's string would otherwise reach
  // the terminal raw, when the line is echoed and when bp prints it, and
  // clear the screen or draw a fake transcript (C1 controls too).
  const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;
  const startLines = [], linkNotes = [];
  let sourceAtStart = null;
  for (const part of location.search.slice(1).split('&')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq);
    let val;
    try {
      val = decodeURIComponent(part.slice(eq + 1));
    } catch (e) {
      linkNotes.push('the link\'s ' + key + '= is not valid percent-encoding, skipped');
      continue;
    }
    if (key === 'e') {
      startLines.push(...val.split(/\r?\n|\r/).map((l) => l.replace(CONTROL, ''))
                            .filter((l) => l.trim()));
    }
    if (key === 'example') {
      const name = val.replace(/\.bp$/, '');
      if (/^[A-Za-z0-9_-]+$/.test(name)) {
        startLines.push('load "' + name + '.bp"');
        sourceAtStart = name + '.bp';
      } else {
        linkNotes.push('the link\'s example= is not an example\'s name, skipped: ' +
                       'the examples are the buttons above');
      }
    }
  }

  function showSource(file) {
    let text;
    try { text = Module.FS.readFile('/home/bp/' + file, { encoding: 'utf8' }); } catch (e) { return; }
    document.getElementById('source-name').textContent = file;
    document.getElementById('source-text').textContent = text;
    document.getElementById('source').hidden = false;
  }

  function examples() {
    const nav = document.getElementById('examples');
    for (const f of Module.FS.readdir('/home/bp').filter((f) => f.endsWith('.bp')).sort()) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = f.replace(/\.bp$/, '');
      b.title = 'load "' + f + '"';
      b.addEventListener('click', () => {
        term.focus();
        if (busy || !alive) return;
        if (prompt === CONT) Module.ccall('web_cancel', null, [], []);
        prompt = PROMPT;
        showSource(f);
        startLines.push('load "' + f + '"');
        drain();
      });
      nav.append(b);
    }
  }

  // For tests and measurements (web/check-web.py): type a line and wait.
  window.bpPage = {
    idle: () => alive && !busy && !startLines.length,
    lastRunMs: () => lastRunMs,     // the last statement's time in bp's C code
    type: (line) => new Promise((resolve) => {
      startLines.push(line);
      const t0 = performance.now();
      const wait = () => (window.bpPage.idle() ? resolve(performance.now() - t0)
                                                 : setTimeout(wait, 1));
      drain();
      wait();
    }),
  };

  return {
    bpWrite(bytes) {
      term.write(bytes);
      transcript(decoder.decode(bytes, { stream: true }));
    },
    print: (s) => show(s + '\n'),
    printErr: (s) => console.warn(s),
    onAbort: (what) => stopped(what),
    onRuntimeInitialized() {
      flagAddr = Module.ccall('web_flag', 'number', [], []);
      examples();
      if (sourceAtStart) showSource(sourceAtStart);
      Module.ccall('web_start', 'number', ['number', 'number'], [term.cols, term.rows]);
      for (const note of linkNotes) show('(' + note + ')\n');
      busy = false;
      newPrompt(PROMPT);
      document.documentElement.dataset.bpPrompt = Math.round(performance.now());
      term.focus();
      drain();
    },
  };
})();
