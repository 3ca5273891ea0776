#!/bin/sh
# Generates a self-signed certificate for localhost when none was mounted at
# /etc/nginx/tls (compose's first start, a dev cluster). A real certificate
# mounted there (a Kubernetes Secret, say) is used as it is.
set -eu
dir=/etc/nginx/tls
if [ -s "$dir/tls.crt" ] && [ -s "$dir/tls.key" ]; then
  exit 0
fi
echo "seminarhub: no certificate in $dir; generating a self-signed one for localhost"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
  -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$dir/tls.key" -out "$dir/tls.crt" 2>/dev/null
