module github.com/seminarhub/seminarhub/tests/blackbox

go 1.26.8
