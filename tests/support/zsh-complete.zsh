# Completes command lines in an interactive zsh (a pseudo-terminal through zsh/zpty) with the completion
# functions of $1 on fpath, and writes every candidate that compadd is given, one per line, to $2; after the
# candidates of line N comes a line "@@END N".
#   zsh -f zsh-complete.zsh FPATH_DIR OUT_FILE 'racoonctl ss ' 'setkey -' ...
# compadd is wrapped (as zsh-capture-completion does) so that candidates go to stderr, which is OUT_FILE.
zmodload zsh/zpty || exit 2
local dir=$1 out=$2
shift 2
integer i n

# Waits (bounded: 30 s) until OUT_FILE has the line $1, reading the terminal meanwhile (a full pty blocks zsh).
await() {
  local junk
  for (( i = 0; i < 300; i++ )); do
    while zpty -rt z junk; do :; done
    [[ -f $out ]] && grep -qx -- $1 $out && return 0
    sleep 0.1
  done
  return 1
}

zpty z zsh -f -i
zpty -w z "fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z 'compadd() { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return $?; fi;
  typeset -a __h; builtin compadd -A __h "$@"; (( $#__h )) && print -r -l -- "${__h[@]}" >&2; builtin compadd "$@"; }'
zpty -w z "LISTMAX=100000; zstyle ':completion:*' menu no; zstyle ':completion:*' list-prompt ''; exec 2>${(q)out}; print -u2 @@READY"
# Type-ahead would reach zle before compinit has run: wait until the shell is ready.
await @@READY || { zpty -d z; exit 3 }
for (( n = 1; n <= $#; n++ )); do
  zpty -w -n z "${@[n]}"$'\t'
  # Ctrl-U clears the line; the marker is printed once the completion above has run.
  zpty -w z $'\x15print -u2 @@END '$n
  await "@@END $n" || { zpty -d z; exit 3 }
done
zpty -d z
