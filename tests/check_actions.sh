#!/bin/sh
# The GitHub Actions a workflow uses still run on GitHub's runners, which
# dropped Node 12 and 16 and, on 2026-09-16, Node 20: every `uses:` is
# pinned by a full commit SHA with its version in a comment
# (`owner/name@<40 hex> # v7.0.1`), and that version's major is one this
# table knows to run on a Node the runners still have. An action not in
# the table fails too: look up the `runs.using` of its action.yml at the
# major you pin, and add it. actionlint checks neither.
#
#   sh tests/check_actions.sh .github/workflows/*.yml
#
# The table: action, the first major on a Node the runners have, and what
# its earlier majors run on (each action's action.yml, `runs.using`, at
# every major's tag, as of 2026-12).
set -u
table='
actions/checkout 5 v1-v2 node12, v3 node16, v4 node20
actions/upload-artifact 6 v1-v2 node12, v3 node16, v4-v5 node20
ilammy/msvc-dev-cmd 0 v1 node20, never released since: set MSVC up with vswhere and vcvarsall
'
failed=0
for file in "$@"; do
    # One line per `uses:`: its line number, the reference, the comment.
    lines=$(grep -n '^[[:space:]-]*uses:' "$file" |
        sed 's/^\([0-9]*\):[[:space:]-]*uses:[[:space:]]*\([^[:space:]#]*\)[[:space:]]*\(#[[:space:]]*\)\{0,1\}\(.*\)$/\1 \2 \4/')
    [ -n "$lines" ] || continue
    while read -r line ref comment; do
        action=${ref%@*}
        pin=${ref#*@}
        where="$file:$line: $ref"
        case $action in ./*) continue ;; esac # an action of this repository
        if printf '%s\n' "$pin" | grep -qE '^[0-9a-f]{40}$'; then
            version=$(printf '%s\n' "$comment" | sed -n 's/^\(v[0-9][0-9.]*\).*/\1/p')
            if [ -z "$version" ]; then
                echo "$where: no '# vN.N.N' comment saying which version the SHA is"
                failed=1
                continue
            fi
        else
            echo "$where: not pinned by a full commit SHA"
            failed=1
            version=$(printf '%s\n' "$pin" | sed -n 's/^\(v[0-9][0-9.]*\).*/\1/p')
            [ -n "$version" ] || continue
        fi
        row=$(printf '%s\n' "$table" | awk -v a="$action" '$1 == a')
        if [ -z "$row" ]; then
            echo "$where: not in tests/check_actions.sh's table: which Node does its $version run on?"
            failed=1
            continue
        fi
        major=${version#v}
        major=${major%%.*}
        first=$(printf '%s\n' "$row" | awk '{ print $2 }')
        if [ "$first" -eq 0 ] || [ "$major" -lt "$first" ]; then
            echo "$where: $action $version runs on a Node the runners no longer have ($(printf '%s\n' "$row" | cut -d' ' -f3-))"
            failed=1
        fi
    done <<EOT
$lines
EOT
done
[ "$failed" -eq 0 ] && echo "every action is pinned, and runs on a Node the runners have"
exit "$failed"
