#!/bin/sh
# racoon runs this once the phase 1 with the gateway is up, after XAuth and mode config (its environment:
# docs/racoon-conf.md, "script"). As ipsec-tools' sample phase1-up.sh does: the address the gateway gave us
# goes on lo, and for each network it announced, tunnel policies from that address through the gateway.
set -e
[ "$1" = phase1_up ] || exit 0
ip addr replace "$INTERNAL_ADDR4/32" dev lo
setkey="$(dirname "$0")/../../bin/setkey"
for net in $SPLIT_INCLUDE_CIDR; do
  node "$setkey" --socket /tmp/uipsec-rw/rw/pfkey.sock -c <<POLICIES
spdadd $INTERNAL_ADDR4/32 $net any -P out ipsec esp/tunnel/$LOCAL_ADDR-$REMOTE_ADDR/require;
spdadd $net $INTERNAL_ADDR4/32 any -P in ipsec esp/tunnel/$REMOTE_ADDR-$LOCAL_ADDR/require;
POLICIES
done
echo "address $INTERNAL_ADDR4, tunnel to $SPLIT_INCLUDE_CIDR via $REMOTE_ADDR"
