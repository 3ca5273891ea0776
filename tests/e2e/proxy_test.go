package e2e

import (
	"io"
	"net"
	"net/url"
	"sync"
)

// proxy is a TCP relay in front of PostgreSQL. Cutting it drops every
// connection and closes each new one at once, the way an unreachable
// database looks to a service; restoring it lets the service recover on
// its own. The port stays bound throughout: released, the kernel may hand
// it to an outgoing connection as its source port, and restoring would
// fail with "address already in use".
type proxy struct {
	dsn    string
	target string
	ln     net.Listener
	addr   string

	mu    sync.Mutex
	conns map[net.Conn]bool
	down  bool
}

func newProxy(dsn string) (*proxy, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, err
	}
	p := &proxy{target: u.Host, conns: map[net.Conn]bool{}}
	if err := p.listen("127.0.0.1:0"); err != nil {
		return nil, err
	}
	u.Host = p.addr
	p.dsn = u.String()
	return p, nil
}

func (p *proxy) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	p.ln, p.addr = ln, ln.Addr().String()
	go p.accept(ln)
	return nil
}

func (p *proxy) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go p.relay(c)
	}
}

func (p *proxy) relay(client net.Conn) {
	p.mu.Lock()
	down := p.down
	p.mu.Unlock()
	if down {
		_ = client.Close()
		return
	}
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = client.Close()
		return
	}
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		_ = client.Close()
		_ = server.Close()
		return
	}
	p.conns[client], p.conns[server] = true, true
	p.mu.Unlock()
	go func() { _, _ = io.Copy(server, client); _ = server.Close() }()
	_, _ = io.Copy(client, server)
	_ = client.Close()
}

// cut closes every relayed connection and, until restore, each new one.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

// restore relays again.
func (p *proxy) restore() error {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
	return nil
}

func (p *proxy) close() {
	p.cut()
	_ = p.ln.Close()
}
