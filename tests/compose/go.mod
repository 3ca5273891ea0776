module github.com/seminarhub/seminarhub/tests/compose

go 1.26.8
