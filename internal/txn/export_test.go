package txn

// TestOwner is an index.lock record's owner, for tests.
type TestOwner struct {
	PID                      int
	Host, Boot, PidNS, Start string
}

// ThisHostOwner describes process pid as running on this host, in this
// boot and PID namespace, with its real start time.
func ThisHostOwner(pid int) TestOwner {
	self := thisProcess()
	start, _ := procStart(pid)
	return TestOwner{PID: pid, Host: self.host, Boot: self.boot, PidNS: self.pidNS, Start: start}
}

// Record renders the index.lock record Begin writes.
func (o TestOwner) Record() string {
	return owner{pid: o.PID, host: o.Host, boot: o.Boot, pidNS: o.PidNS, start: o.Start}.record()
}
