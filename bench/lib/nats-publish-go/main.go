// NATS JetStream load generator, native (nats.go): `nats-publish PORT
// RECORDS RECORD_SIZE TIME_LIMIT_MS` creates a file-storage stream on
// subject "bench", publishes RECORDS messages of RECORD_SIZE bytes with
// asynchronous JetStream publish (at most maxPending awaiting their acks),
// waits for every ack (failing on any publish error) and prints {"records", "seconds"} from the first
// publish to the last ack. Built by bench/lib/nats.ts with GO111MODULE=off
// against Debian's golang-github-nats-io-go-nats-dev.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
)

const maxPending = 4096

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 5 {
		fail("usage: nats-publish PORT RECORDS RECORD_SIZE TIME_LIMIT_MS")
	}
	args := make([]int, 4)
	for i, a := range os.Args[1:] {
		n, err := strconv.Atoi(a)
		if err != nil {
			fail("bad argument %q", a)
		}
		args[i] = n
	}
	port, records, size, limit := args[0], args[1], args[2], time.Duration(args[3])*time.Millisecond
	nc, err := nats.Connect(fmt.Sprintf("nats://127.0.0.1:%d", port))
	if err != nil {
		fail("connect: %v", err)
	}
	defer nc.Close()
	failed := make(chan error, 1)
	onError := func(_ nats.JetStream, _ *nats.Msg, err error) {
		select {
		case failed <- err:
		default:
		}
	}
	js, err := nc.JetStream(nats.PublishAsyncMaxPending(maxPending), nats.PublishAsyncErrHandler(onError))
	if err != nil {
		fail("jetstream: %v", err)
	}
	if _, err := js.AddStream(&nats.StreamConfig{Name: "bench", Subjects: []string{"bench"}, Storage: nats.FileStorage}); err != nil {
		fail("add stream: %v", err)
	}
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = 'x'
	}
	start := time.Now()
	for sent := 0; sent < records; sent++ {
		// A full window waits for an ack (up to the time limit) before sending on.
		if _, err := js.PublishAsync("bench", payload, nats.StallWait(limit)); err != nil {
			fail("publish: %v", err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(time.Until(start.Add(limit))):
		fail("not every publish was acknowledged within the time limit")
	}
	select {
	case err := <-failed:
		fail("publish: %v", err)
	default:
	}
	seconds := time.Since(start).Seconds()
	out, _ := json.Marshal(map[string]interface{}{"records": records, "seconds": seconds})
	fmt.Println(string(out))
}
