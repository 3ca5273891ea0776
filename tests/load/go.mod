module github.com/seminarhub/seminarhub/tests/load

go 1.26.8
