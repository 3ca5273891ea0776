module github.com/seminarhub/seminarhub/tests/architecture

go 1.26.8
