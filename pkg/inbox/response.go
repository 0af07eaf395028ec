package inbox

import "slices"

// Response times: per inbound text, the time to the next outbound text on
// its thread (a person's reply or an automatic one), attributed to the
// inbound text's number and to the replier. The report gives their 50th and
// 90th percentiles, read from a histogram whose buckets are as fine as a
// person reading the figure needs:
//
//	under 2 minutes        to the second
//	2 to 10 minutes        5 s
//	10 minutes to an hour  30 s
//	an hour to a day       5 minutes
//	beyond a day           an hour
//
// A percentile is the middle of its bucket, so it is exact under two minutes
// and within half a bucket above (at most 2.1 % at 2 minutes, 2.5 % at 10,
// 4.2 % at an hour, 2.1 % at a day).

// responseSteps are the histogram's ranges: from each From, buckets of Width
// seconds, numbered on from First.
var responseSteps = []struct{ From, Width, First int64 }{
	{0, 1, 0},
	{120, 5, 120},
	{600, 30, 216},
	{3600, 300, 316},
	{86400, 3600, 592},
}

// ResponseBucket is the histogram bucket of a response time in seconds. The
// store computes the same in SQL (ResponseBucketSQL's twin in pkg/store).
func ResponseBucket(seconds int64) int64 {
	seconds = max(seconds, 0)
	for i := len(responseSteps) - 1; i >= 0; i-- {
		if st := responseSteps[i]; seconds >= st.From {
			return st.First + (seconds-st.From)/st.Width
		}
	}
	return 0
}

// ResponseBucketRange is the seconds a bucket holds: [lo, hi).
func ResponseBucketRange(bucket int64) (lo, hi int64) {
	bucket = max(bucket, 0)
	for i := len(responseSteps) - 1; i >= 0; i-- {
		if st := responseSteps[i]; bucket >= st.First {
			lo = st.From + (bucket-st.First)*st.Width
			return lo, lo + st.Width
		}
	}
	return 0, 1
}

// ResponseTimes are the response times of the inbound texts of a range
// (of a number, of a replier): how many were answered, and the 50th and 90th
// percentiles of the time to the answer, in seconds (null when none was).
type ResponseTimes struct {
	Responses   int64  `json:"responses"`
	ResponseP50 *int64 `json:"response_p50_s"`
	ResponseP90 *int64 `json:"response_p90_s"`
}

// ResponseGroup counts the response times of a range that share the inbound
// text's number, the replier and a histogram bucket: the store's one read
// for them, which the domain folds into ResponseTimes.
type ResponseGroup struct {
	Number Number
	User   *User // the replier; nil for automatic replies
	Bucket int64
	Count  int64
}

// responseHistogram accumulates response times by bucket.
type responseHistogram map[int64]int64

// percentile is the pct-th percentile (1 to 100) of the histogram by
// nearest rank, as the middle second of its bucket; nil for an empty
// histogram.
func (h responseHistogram) percentile(pct int64) *int64 {
	total := h.total()
	if total == 0 {
		return nil
	}
	buckets := make([]int64, 0, len(h))
	for b, n := range h {
		if n > 0 {
			buckets = append(buckets, b)
		}
	}
	slices.Sort(buckets)
	rank := max((pct*total+99)/100, 1) // ceil(pct% of total), in integers
	var seen int64
	for _, b := range buckets {
		if seen += h[b]; seen >= rank {
			lo, hi := ResponseBucketRange(b)
			v := lo + (hi-lo-1)/2
			return &v
		}
	}
	return nil
}

func (h responseHistogram) total() int64 {
	var n int64
	for _, c := range h {
		n += max(c, 0)
	}
	return n
}

// times reads the histogram's ResponseTimes.
func (h responseHistogram) times() ResponseTimes {
	return ResponseTimes{Responses: h.total(), ResponseP50: h.percentile(50), ResponseP90: h.percentile(90)}
}
