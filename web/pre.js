// pre.js: emcc --pre-js.  The bytes bp writes to stdout and stderr go to
// the page's terminal (Module.bpWrite, web/term.js) as they are written,
// partial lines included, instead of Emscripten's console.log per line.
// stdout and stderr stay TTY devices: isatty() is true, as at a terminal.
// The buffer Emscripten passes is its HEAP8, an Int8Array: the bytes are
// copied out as a Uint8Array, which xterm.js reads as UTF-8 (an Int8Array
// gives it negative numbers for every byte above 0x7f, and ∂ or · vanish).
Module['preRun'] = (Module['preRun'] || []).concat([function () {
  TTY.stream_ops.write = function (stream, buffer, offset, length) {
    if (length) {
      Module['bpWrite'](new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length).slice());
    }
    return length;
  };
}]);
