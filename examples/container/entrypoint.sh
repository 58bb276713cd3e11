#!/bin/bash
# The uipsec container's entry point: this container's traffic to $PEER is ESP-protected (transport mode,
# `require`: it never leaves in clear), with SAs negotiated by racoon (IKEv1 main mode, pre-shared key).
# uipsecd runs in TUN mode on the container's own address; racoon talks to it over PF_KEY. The key is read
# from a file ($PSK_FILE, a compose/Docker secret), never from the environment. SIGTERM stops both daemons
# cleanly (routes, rules and TUN removed). Run by examples/container/compose.yaml; tested in two network
# namespaces by tests/e2e/container-recipe.test.ts.
set -euo pipefail

: "${PEER:?set PEER to the address of the other side}"
PSK_FILE=${PSK_FILE:-/run/secrets/uipsec_psk}
UIPSEC=${UIPSEC:-/opt/uipsec}
CONF=${CONF_DIR:-/etc/uipsec}
RUN=${RUN_DIR:-/run/uipsec}

[ -r "$PSK_FILE" ] || { echo "entrypoint: no pre-shared key in $PSK_FILE" >&2; exit 1; }
ME=$(ip -o route get "$PEER" | sed -n 's/.* src \([^ ]*\).*/\1/p')
[ -n "$ME" ] || { echo "entrypoint: no route to $PEER" >&2; exit 1; }

install -d -m 0700 "$CONF" "$RUN"
cat > "$CONF/policies.conf" <<POLICIES
flush;
spdflush;
spdadd $ME $PEER any -P out ipsec esp/transport//require;
spdadd $PEER $ME any -P in ipsec esp/transport//require;
POLICIES
cat > "$CONF/racoon.conf" <<RACOON
path pre_shared_key "$CONF/psk.txt";
listen { adminsock "$RUN/racoon.sock"; }
remote $PEER {
    exchange_mode main;
    proposal {
        encryption_algorithm aes 128;
        hash_algorithm sha256;
        authentication_method pre_shared_key;
        dh_group modp2048;
    }
}
sainfo anonymous {
    pfs_group modp2048;
    encryption_algorithm aes 128;
    authentication_algorithm hmac_sha256;
    compression_algorithm deflate;
}
RACOON
(umask 077 && printf '%s %s\n' "$PEER" "$(head -n 1 "$PSK_FILE")" > "$CONF/psk.txt")

node "$UIPSEC/bin/uipsecd" --tun uipsec0 --load "$CONF/policies.conf" --socket "$RUN/pfkey.sock" &
uipsecd=$!
for _ in $(seq 100); do [ -S "$RUN/pfkey.sock" ] && break; sleep 0.1; done
node "$UIPSEC/bin/racoon" -F -f "$CONF/racoon.conf" --socket "$RUN/pfkey.sock" &
racoon=$!
trap 'kill -TERM $racoon $uipsecd 2>/dev/null || true' TERM INT
# Either daemon ending ends the container (the orchestrator restarts it); the other is stopped cleanly.
wait -n $uipsecd $racoon || true
kill -TERM $racoon $uipsecd 2>/dev/null || true
wait
