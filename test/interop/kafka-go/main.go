// kafka-go 0.2.1 (Debian golang-github-segmentio-kafka-go-dev) against kb,
// for test/interop/kafka-go.test.ts, which builds this in GOPATH mode from
// Debian's sources in /usr/share/gocode. kafka-go 0.2.1 speaks fixed
// versions: Produce v2 (message format v1), Fetch v2 (so it reads what the
// broker down-converts to message format v1), ListOffsets v1, Metadata v1,
// and the v0/v1 group APIs.
//
// os.Args[1] is JSON: {"brokers": ["host:port", ...], "topic": str,
// "partitions": int, "records": int, "codec": "gzip"|"snappy"|"lz4"|"",
// "group": str, "timeoutMs": int}. The program
//  1. writes `records` messages with a Writer (round-robin over the
//     partitions, the codec's compression, acks=all): key "k<i>", value
//     "<i>";
//  2. reads every partition from its first offset up to its last offset
//     with a Reader per partition (no consumer group);
//  3. reads `records` messages with a Reader in consumer group `group`,
//     committing each, then closes it.
//
// It prints one JSON line: {"written": int, "partitions": {"<p>": [[offset,
// key, value, timeMs], ...]}, "group": [[partition, offset, value], ...],
// "error": str or null}. Client logs go to stderr.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"strconv"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/gzip"
	"github.com/segmentio/kafka-go/lz4"
	"github.com/segmentio/kafka-go/snappy"
)

type config struct {
	Brokers    []string `json:"brokers"`
	Topic      string   `json:"topic"`
	Partitions int      `json:"partitions"`
	Records    int      `json:"records"`
	Codec      string   `json:"codec"`
	Group      string   `json:"group"`
	TimeoutMs  int      `json:"timeoutMs"`
}

type output struct {
	Written    int                        `json:"written"`
	Partitions map[string][][]interface{} `json:"partitions"`
	Group      [][]interface{}            `json:"group"`
	Error      *string                    `json:"error"`
}

func main() {
	var cfg config
	if err := json.Unmarshal([]byte(os.Args[1]), &cfg); err != nil {
		log.Fatalf("bad argument: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(cfg.TimeoutMs)*time.Millisecond)
	defer cancel()
	out := output{Partitions: map[string][][]interface{}{}, Group: [][]interface{}{}}
	if err := run(ctx, cfg, &out); err != nil {
		message := err.Error()
		out.Error = &message
	}
	line, _ := json.Marshal(out)
	fmt.Println(string(line))
}

func run(ctx context.Context, cfg config, out *output) error {
	if err := write(ctx, cfg, out); err != nil {
		return fmt.Errorf("writer: %v", err)
	}
	for p := 0; p < cfg.Partitions; p++ {
		if err := readPartition(ctx, cfg, p, out); err != nil {
			return fmt.Errorf("reader of partition %d: %v", p, err)
		}
	}
	if err := readGroup(ctx, cfg, out); err != nil {
		return fmt.Errorf("group reader: %v", err)
	}
	return nil
}

func codec(name string) kafka.CompressionCodec {
	switch name {
	case "gzip":
		return gzip.NewCompressionCodec()
	case "snappy":
		return snappy.NewCompressionCodec()
	case "lz4":
		return lz4.NewCompressionCodec()
	}
	return nil
}

func write(ctx context.Context, cfg config, out *output) error {
	w := kafka.NewWriter(kafka.WriterConfig{
		Brokers:          cfg.Brokers,
		Topic:            cfg.Topic,
		Balancer:         &kafka.RoundRobin{},
		RequiredAcks:     -1,
		BatchSize:        cfg.Records,
		BatchTimeout:     50 * time.Millisecond,
		CompressionCodec: codec(cfg.Codec),
		ErrorLogger:      log.New(os.Stderr, "kafka-go writer: ", 0),
	})
	defer w.Close()
	messages := make([]kafka.Message, cfg.Records)
	for i := range messages {
		messages[i] = kafka.Message{Key: []byte("k" + strconv.Itoa(i)), Value: []byte(strconv.Itoa(i))}
	}
	if err := w.WriteMessages(ctx, messages...); err != nil {
		return err
	}
	out.Written = len(messages)
	return nil
}

func readPartition(ctx context.Context, cfg config, partition int, out *output) error {
	conn, err := kafka.DialLeader(ctx, "tcp", cfg.Brokers[0], cfg.Topic, partition)
	if err != nil {
		return err
	}
	end, err := conn.ReadLastOffset()
	conn.Close()
	if err != nil {
		return err
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:     cfg.Brokers,
		Topic:       cfg.Topic,
		Partition:   partition,
		MinBytes:    1,
		MaxBytes:    1 << 20,
		MaxWait:     200 * time.Millisecond,
		ErrorLogger: log.New(os.Stderr, "kafka-go reader: ", 0),
	})
	defer r.Close()
	read := [][]interface{}{}
	for offset := int64(0); offset < end; {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			return err
		}
		read = append(read, []interface{}{m.Offset, string(m.Key), string(m.Value), m.Time.UnixNano() / int64(time.Millisecond)})
		offset = m.Offset + 1
	}
	out.Partitions[strconv.Itoa(partition)] = read
	return nil
}

func readGroup(ctx context.Context, cfg config, out *output) error {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:        cfg.Brokers,
		GroupID:        cfg.Group,
		Topic:          cfg.Topic,
		MinBytes:       1,
		MaxBytes:       1 << 20,
		MaxWait:        200 * time.Millisecond,
		SessionTimeout: 10 * time.Second,
		ErrorLogger:    log.New(os.Stderr, "kafka-go group reader: ", 0),
	})
	defer r.Close()
	for len(out.Group) < cfg.Records {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			return err
		}
		if err := r.CommitMessages(ctx, m); err != nil {
			return err
		}
		out.Group = append(out.Group, []interface{}{m.Partition, m.Offset, string(m.Value)})
	}
	return nil
}
