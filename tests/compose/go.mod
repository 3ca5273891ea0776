module github.com/seminarhub/seminarhub/tests/compose

go 1.26.8

require github.com/seminarhub/seminarhub/tests/blackbox v0.0.0

replace github.com/seminarhub/seminarhub/tests/blackbox => ../blackbox
