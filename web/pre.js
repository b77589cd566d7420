// pre.js: emcc --pre-js.  The bytes bp writes to stdout and stderr go to
// the page's terminal (Module.bpWrite, web/term.js) as they are written,
// partial lines included, instead of Emscripten's console.log per line.
// stdout and stderr stay TTY devices: isatty() is true, as at a terminal.
Module['preRun'] = (Module['preRun'] || []).concat([function () {
  TTY.stream_ops.write = function (stream, buffer, offset, length) {
    if (length) Module['bpWrite'](buffer.slice(offset, offset + length));
    return length;
  };
}]);
