package main

import (
	"testing"
	"time"
)

func TestCPUSecondsCountThisProcesssWork(t *testing.T) {
	self0, err := procCPUSeconds("self")
	if err != nil {
		t.Fatal(err)
	}
	busy0, err := machineBusySeconds()
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); {
	}
	self1, _ := procCPUSeconds("self")
	busy1, _ := machineBusySeconds()
	// 300 ms of spinning: at least 0.2 s of CPU here and on the machine.
	if d := self1 - self0; d < 0.2 || d > 5 {
		t.Errorf("this process used %.2f s of CPU spinning 300 ms", d)
	}
	if d := busy1 - busy0; d < 0.2 {
		t.Errorf("the machine was busy %.2f s while this process spun 300 ms", d)
	}
	if _, err := procCPUSeconds("999999999"); err == nil {
		t.Error("no error for a process that does not exist")
	}
}
