package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/baton-go/baton"
	batontemporal "github.com/baton-go/baton/temporal"
	"github.com/baton-go/baton/temporal/internal/fixture"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

var record = flag.Bool("record", false, "record the fixture's workflow histories into ../testdata/histories")

// TestRecordHistories runs the fixture pipeline's orders on the real server and, with -record,
// writes their workflow histories where the temporal module's TestReplay reads them. Without
// -record it only checks that the histories can be fetched and encoded.
func TestRecordHistories(t *testing.T) {
	eng, err := batontemporal.New(defaultClient(), batontemporal.WithTaskQueue(newQueue(fixture.TaskQueue)),
		batontemporal.WithOrigin("replay"), batontemporal.WithWorkflowIDPrefix(fmt.Sprintf("replay-%d-", os.Getpid())))
	if err != nil {
		t.Fatal(err)
	}
	p, err := baton.New(fixture.Stages(), append([]baton.Option{baton.WithEngine(eng)}, fixture.Options()...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for r := range p.Run(context.Background(), slices.Values(fixture.Orders())) {
		id := eng.WorkflowID(r.ID, r.Key)
		var h historypb.History
		it := defaultClient().GetWorkflowHistory(context.Background(), id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			h.Events = append(h.Events, ev)
		}
		data, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&h)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("order %d: %d events, result %v %v", r.Value.N, len(h.Events), r.Value.Trail, r.Err)
		if *record {
			path := filepath.Join("..", "testdata", "histories", fmt.Sprintf("v2-order-%d.json", r.Value.N))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
