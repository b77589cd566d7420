#!/bin/sh
# Tab completion: `tan` offers tan and tanh; a unique prefix of a
# function (completed with its "(", no space; every function of the op
# list, tensor functions and constructors too), a command, a name defined
# in the session, a setting after `set` (and only settings there), a help
# topic after `help`, a file name after `load`.
. "${abs_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/repl/lib.sh"

printf 'from_file = 7\n' >"$T/home/mymodel.bp"
repl_start -q
repl_wait '^bp> $'

# tan: ambiguous; a second Tab lists both.
repl_type 'tan'
repl_keys Tab Tab
repl_wait '^tan +tanh *$' "the listing 'tan  tanh' after tan Tab Tab"
repl_type 'h(0) + 5'
repl_keys Enter
repl_wait '^5$' "tanh(0) + 5 after completing from the listing"

# A unique function prefix completes, with its parenthesis.
repl_type 'sigm'
repl_keys Tab
repl_wait '^bp> sigmoid\($' "sigm completed to sigmoid("
repl_type '0)'
repl_keys Enter
repl_wait '^0\.5$' "sigmoid(0) = 0.5"

# Functions added through the op list, a tensor function and a
# constructor, after another word.
repl_type 'ata'
repl_keys Tab
repl_wait '^bp> atan\($' "ata completed to atan("
repl_type '1) * 4'
repl_keys Enter
repl_wait '^3\.14159265' "atan(1) * 4"
repl_type 'log1'
repl_keys Tab
repl_type '0) + expm'
repl_keys Tab
repl_type '0) + asi'
repl_keys Tab
repl_wait '^bp> log1p\(0\) \+ expm1\(0\) \+ asinh\($' "log1p(, expm1( and asinh( completed"
repl_type '0) + cross_'
repl_keys Tab
repl_type '[1, 2], [0, 1]) + sum(zer'
repl_keys Tab
repl_wait 'cross_entropy\(\[1, 2\], \[0, 1\]\) \+ sum\(zeros\($' "cross_entropy( and zeros( completed"
repl_type '2))'
repl_keys Enter
repl_wait '^0\.31326168' "the completed line ran: cross_entropy([1, 2], [0, 1]) = 0.3132616875"

# A name defined in the session.
repl_line 'myvariable = 31'
repl_type 'myv'
repl_keys Tab
repl_wait '^bp> myvariable ?$' "myv completed to the session's name myvariable"
repl_type '+ 1'
repl_keys Enter
repl_wait '^32$' "myvariable + 1"

# A command word.
repl_type 'va'
repl_keys Tab
repl_wait '^bp> vars ?$' "va completed to vars"
repl_keys Enter
repl_wait '^myvariable = 31' "the vars listing"

# After set: settings only (`t` would be ambiguous with tan, tanh, trace...).
repl_type 'set t'
repl_keys Tab
repl_wait '^bp> set tol ?$' "set t completed to set tol"
repl_type '0.25'
repl_keys Enter
repl_line 'set'
repl_wait '^tol +0\.25$' "the tol setting changed through the completed line"

# After help: a topic (tensors is a help topic, no command or function).
repl_type 'help tens'
repl_keys Tab
repl_wait '^bp> help tensors ?$' "help tens completed to the topic tensors"
repl_keys Enter
repl_wait 'broadcast|tensor' "the tensors help page"
# ... and a function there takes no "(" (help sigmoid, not help sigmoid().
repl_type 'help sigm'
repl_keys Tab
repl_wait '^bp> help sigmoid ?$' "help sigm completed to sigmoid without ("
repl_keys Enter
repl_wait 'sigmoid\(x\): 1/\(1 \+ exp' "the sigmoid help line"

# After load: a file name.
repl_type 'load "mymo'
repl_keys Tab
repl_wait '^bp> load "mymodel\.bp' "a file name completed after load"
# Close the quote if completion did not (dropping an appended space).
line=$(repl_screen | grep '^bp> load "mymodel' | tail -n 1)
case $line in
*'"'|*'" ') ;;
*' ') repl_keys BSpace; repl_type '"' ;;
*) repl_type '"' ;;
esac
repl_keys Enter
repl_line 'from_file * 2'
repl_wait '^14$' "the completed file loaded"

repl_line 'quit'
st=$(repl_wait_exit)
[ "$st" = 0 ] || fail "exit status $st"
echo "PASS: tab completion"
