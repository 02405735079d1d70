# Sourced by scripts/check_deploy.sh and scripts/cluster.sh: deploy/nginx.conf under a plain
# local nginx (no Docker), from the templates beside this file. Run from the repository root.

# Installs Debian's nginx if there is none; prints the binary's path.
nginx_local_binary() {
    if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
        echo "installing Debian's nginx" >&2
        local pkg=nginx-light # Debian 12; later releases only have nginx
        apt-cache policy nginx-light 2>/dev/null | grep -q 'Candidate: [0-9]' || pkg=nginx
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null 2>&1 || {
            DEBIAN_FRONTEND=noninteractive apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null
        }
    fi
    command -v nginx || echo /usr/sbin/nginx
}

# nginx_local_render DIR LISTEN UPSTREAM...: writes DIR/nginx.conf (main.local.conf.in, which
# includes the repository's deploy/nginx.conf itself) and DIR/api/site.conf
# (site.local.conf.in): nginx listens on LISTEN (ADDRESS:PORT) and spreads requests over the
# UPSTREAM addresses (ADDRESS:PORT each). DIR must be an absolute path. Start nginx with
#   nginx -p DIR -c DIR/nginx.conf -e DIR/error.log -g 'daemon off;'
nginx_local_render() {
    local dir=$1 listen=$2 servers="" upstream
    shift 2
    for upstream in "$@"; do servers+="        server $upstream;\\n"; done
    mkdir -p "$dir/api" "$dir/tmp"
    # The templates' own comments (which name the placeholders) stay behind.
    sed -e '/^#/d' -e "s|@DIR@|$dir|g" -e "s|@SITE@|$PWD/deploy/nginx.conf|g" -e "s|^@SERVERS@\$|${servers%\\n}|" \
        deploy/nginx/main.local.conf.in >"$dir/nginx.conf"
    sed -e '/^#/d' -e "s|@DIR@|$dir|g" -e "s|@LISTEN@|$listen|g" \
        deploy/nginx/site.local.conf.in >"$dir/api/site.conf"
    if grep -n '@[A-Z]*@' "$dir/nginx.conf" "$dir/api/site.conf" >&2; then
        echo "nginx_local_render: placeholders left (above)" >&2
        return 1
    fi
}
