# The running kernel is the one the image was built for.
. /tests/lib.sh
want=$(cat /etc/tern-kernel-release)
got=$(uname -r)
uname -a
if [ -n "$got" ] && [ "$got" = "$want" ]; then
    tern_result uname PASS "release=$got"
else
    tern_result uname FAIL "release=$got want=$want"
fi
