# bash completion for uipsec's commands: setkey, racoon, racoonctl, uipsecd and uipsec.
# Load it from ~/.bashrc:   source /path/to/uipsec/completions/uipsec.bash
# or link it as /usr/share/bash-completion/completions/{setkey,racoon,racoonctl,uipsecd,uipsec} (docs/install.md).
# Plain bash (no bash-completion package needed). Options mirror each command's --help.

_uipsec_words() { # words to offer
  COMPREPLY=($(compgen -W "$1" -- "${COMP_WORDS[COMP_CWORD]}"))
  return 0
}

_uipsec_files() { # files (and directories), optionally only those matching the glob $1
  local cur=${COMP_WORDS[COMP_CWORD]}
  compopt -o filenames 2>/dev/null
  if [[ -n $1 ]]; then
    COMPREPLY=($(compgen -f -X "!$1" -- "$cur") $(compgen -d -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
  return 0
}

_uipsec_setkey() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  case $prev in
  -f | -*f) _uipsec_files '' && return ;;
  --socket) _uipsec_files '*.sock' && return ;;
  esac
  if [[ $cur == -* ]]; then
    _uipsec_words '-c -f -n -D -DP -Da -Dp -Dl -F -FP -x -xx -v -H -h -r -k -V -a -l -p -P
      --json --socket --help --version'
  else
    _uipsec_files '' # setkey FILE...: raw PF_KEY messages to decode
  fi
}

_uipsec_racoon() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  case $prev in
  -f) _uipsec_files '*.conf' && return ;;
  -l) _uipsec_files '' && return ;;
  --socket | --ike-socket) _uipsec_files '*.sock' && return ;;
  -p | -P) COMPREPLY=() && return ;;
  esac
  _uipsec_words '-f -F -d -v -l -p -P -C -B -4 -6 -V -h --socket --ike-socket --help --version'
}

_uipsec_racoonctl() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  if [[ $prev == -s ]]; then
    _uipsec_files '*.sock'
    return
  fi
  local i cmd='' nargs=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
    -s) ((i++)) ;;
    -*) ;;
    *) if [[ -z $cmd ]]; then cmd=${COMP_WORDS[i]}; else ((nargs++)); fi ;;
    esac
  done
  if [[ -z $cmd ]]; then
    if [[ $cur == -* ]]; then
      _uipsec_words '-s -d -l -h -V --json --help --version'
    else
      _uipsec_words 'show-sa ss flush-sa fs delete-sa ds establish-sa es vpn-connect vc vpn-disconnect vd
        show-event se logout-user lu show-schedule sc reload-config rc show-stats'
    fi
    return
  fi
  case $cmd:$nargs in
  show-sa:0 | ss:0) _uipsec_words 'isakmp ike esp ah ipsec' ;;
  flush-sa:0 | fs:0) _uipsec_words 'isakmp esp ah ipsec' ;;
  vpn-connect:0 | vc:0) [[ $cur == -* ]] && _uipsec_words '-u' || COMPREPLY=() ;; # -u USER, then the gateway
  delete-sa:0 | ds:0 | establish-sa:0 | es:0) _uipsec_words 'isakmp' ;;
  delete-sa:1 | ds:1 | establish-sa:1 | es:1) _uipsec_words 'inet inet6' ;;
  *) COMPREPLY=() ;; # addresses
  esac
}

_uipsec_uipsecd() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  case $prev in
  -f | --config) _uipsec_files '*.conf' && return ;;
  -s | --socket | --ike-socket | --ctl-socket) _uipsec_files '*.sock' && return ;;
  --load) _uipsec_files '*.conf' && return ;;
  --extension) _uipsec_files '*.js' && return ;;
  --pidfile) _uipsec_files '*.pid' && return ;;
  --log-file) _uipsec_files '*.log' && return ;;
  --syslog-socket) _uipsec_files '*' && return ;;
  --tun) COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur")) && return ;;
  -a | --address | -u | --underlay | --neighbour | --route | --natt | --name) COMPREPLY=() && return ;;
  esac
  _uipsec_words '-f --config -s --socket --ike-socket --ctl-socket --ctl-open -a --address -u --underlay --neighbour --route --natt
    --forwarding --tun --load --extension --name --pidfile --log-file --syslog --syslog-socket -n --check -d --debug
    -v --verbose -V --version -h --help'
}

_uipsec_uipsec() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  local cmd=${COMP_WORDS[1]} sub=''
  [[ $cmd == pcap && COMP_CWORD -gt 2 ]] && sub=${COMP_WORDS[2]}
  if ((COMP_CWORD == 1)); then
    if [[ $cur == -* ]]; then _uipsec_words '-h --help -V --version'; else _uipsec_words 'demo status send listen ping pcap ctl events help'; fi
    return
  fi
  if [[ $cmd == ping ]]; then # ping's -s is the size and -c the count
    case $prev in
    -s | --size | -c | --count | -i | --interval | -W | --timeout | --udp) COMPREPLY=() && return ;;
    esac
  fi
  case $prev in
  -s | --socket | --app-socket) _uipsec_files '*.sock' && return ;;
  -f | --daemon-config | -c | --config) _uipsec_files '*.conf' && return ;;
  -w | --wireshark-keys) _uipsec_files '' && return ;;
  --ctl-socket) _uipsec_files '*.sock' && return ;;
  -n | --count | --sport | --seed) COMPREPLY=() && return ;;
  esac
  if [[ $cmd == ctl || $cmd == events ]]; then
    case $prev in
    -u | --unit | --max | -r | --read | -t | --timeout) COMPREPLY=() && return ;;
    -c | --class) _uipsec_words 'all network interface inet inet6 ipsec sa policy acquire' && return ;;
    esac
  fi
  local opts sock='-s --socket --app-socket'
  case $cmd in
  demo) opts='--manual' ;;
  status) opts="$sock --json --keys -f --daemon-config" ;;
  send) opts="$sock --sport -n --count --stdin" ;;
  listen) opts="$sock -n --count --echo --json" ;;
  ping) opts='--socket --app-socket -c --count -s --size -i --interval -W --timeout --udp' ;;
  ctl)
    opts="--ctl-socket -s --socket -u --unit -x --hex --max -r --read -t --timeout"
    if [[ $cur != -* ]]; then # uipsec ctl NAME OP ARGS: count the words that are not options or their values
      local i n=0 name=''
      for ((i = 2; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        --ctl-socket | -s | --socket | -u | --unit | --max | -r | --read | -t | --timeout) ((i++)) ;;
        -*) ;;
        *) ((n++ == 0)) && name=${COMP_WORDS[i]} ;;
        esac
      done
      if ((n == 0)); then
        _uipsec_words 'list' # or a control's name: `uipsec ctl list` shows them
      elif ((n == 1)) && [[ $name != list ]]; then
        _uipsec_words 'get set send'
      else
        COMPREPLY=()
      fi
      return
    fi
    ;;
  events) opts="--ctl-socket -s --socket --json -c --class -n --count -t --timeout" ;;
  help) _uipsec_words 'demo status send listen ping pcap ctl events' && return ;;
  pcap)
    if [[ -z $sub ]]; then _uipsec_words 'encap decap' && return; fi
    opts='-c --config -w --wireshark-keys --no-policy-check --seed -q --quiet'
    [[ $cur != -* ]] && _uipsec_files '*.pcap' && return
    ;;
  *) return ;;
  esac
  _uipsec_words "$opts -h --help"
}

complete -F _uipsec_setkey setkey
complete -F _uipsec_racoon racoon
complete -F _uipsec_racoonctl racoonctl
complete -F _uipsec_uipsecd uipsecd
complete -F _uipsec_uipsec uipsec
