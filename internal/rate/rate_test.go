package rate

import (
	"math"
	"sync"
	"testing"
	"time"
)

func near(t *testing.T, want, got float64, what string) {
	t.Helper()
	if math.Abs(want-got) > 1e-9 {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func TestRate(t *testing.T) {
	var r Ring
	near(t, 0, r.Rate(0, 1), "empty, at the origin")
	near(t, 0, r.Rate(time.Minute, 60), "empty")
	r.Add(0, 10)
	near(t, 0, r.Rate(0, 1), "no time has passed")
	near(t, 20, r.Rate(500*time.Millisecond, 1), "younger than the window: divided by the time run")
	near(t, 20, r.Rate(500*time.Millisecond, 60), "younger than the window: divided by the time run")
	near(t, 10, r.Rate(time.Second, 1), "exactly one second")
	near(t, 5, r.Rate(1500*time.Millisecond, 1), "half of second 0 is in the window")
	near(t, 10/1.5, r.Rate(1500*time.Millisecond, 60), "")
	r.Add(1, 4)
	near(t, 3, r.Rate(2250*time.Millisecond, 1), "three quarters of second 1")
	near(t, 14/2.25, r.Rate(2250*time.Millisecond, 60), "")
	near(t, 14.0/60, r.Rate(60*time.Second, 60), "exactly a minute: seconds 0 to 59")
	near(t, (5+4)/60.0, r.Rate(60500*time.Millisecond, 60), "half of second 0")
	near(t, 2/60.0, r.Rate(61500*time.Millisecond, 60), "half of second 1")
	near(t, 0, r.Rate(62500*time.Millisecond, 60), "all gone")
	near(t, 0, r.Rate(61500*time.Millisecond, 1), "")
	near(t, 4, r.Rate(2*time.Second, 1), "seconds 1 and not 2")
	near(t, 14.0/60, r.Rate(60*time.Second, 1000), "the window is capped at MaxWindow")
}

func TestBucketsAreReused(t *testing.T) {
	var r Ring
	r.Add(3, 7)
	r.Add(3+Size, 2) // same bucket, a later second: takes it over
	near(t, 2, r.Rate(time.Duration(4+Size)*time.Second, 1), "")
	r.Add(3, 5) // a stale clock reading counts in the later second
	near(t, 7, r.Rate(time.Duration(4+Size)*time.Second, 1), "")
	near(t, 0, r.Rate(4*time.Second, 1), "second 3 is gone")
	if got := [3]uint64{r.Count(3), r.Count(3 + Size), r.Count(-1)}; got != [3]uint64{0, 7, 0} {
		t.Errorf("Count: got %v", got)
	}
}

func TestConcurrentAdds(t *testing.T) {
	// Goroutines that take over a bucket together (the first events of a second) lose none.
	var r Ring
	for s := range int64(130) {
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 100 {
					r.Add(s, 1)
				}
			})
		}
		wg.Wait()
	}
	near(t, 800, r.Rate(130*time.Second, 60), "")
	near(t, 800, r.Rate(130*time.Second, 1), "")
}

func BenchmarkAdd(b *testing.B) {
	var r Ring
	for b.Loop() {
		r.Add(5, 1)
	}
}

func BenchmarkRateMinute(b *testing.B) {
	var r Ring
	for s := range int64(100) {
		r.Add(s, 3)
	}
	for b.Loop() {
		_ = r.Rate(100*time.Second+time.Millisecond, 60)
	}
}
