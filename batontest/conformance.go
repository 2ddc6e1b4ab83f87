package batontest

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"

	"github.com/baton-go/baton"
)

// Conformance runs Baton's behaviour battery against strategy s, one subtest per behaviour:
// slips and revisions, revisits and the hop limit, routers, ordering, backpressure, workers,
// Close and Shutdown in every state, errors and sentinels, panics, retries and backoff,
// timeouts, compensation, cancellation, fail-fast, optional steps, stats, validation at New,
// observer events, slip logs and timing, and randomized slips at the smallest buffer settings (no deadlock, exactly one result per
// message). It is the specification of Baton's behaviour: both built-in strategies must pass
// it, and Baton's own tests run it for both.
//
// Every subtest closes its pipelines and checks that no goroutine of Baton outlives them.
// Subtests that depend on time run in a testing/synctest bubble, on a virtual clock, so they
// are fast and deterministic. The suite takes a few seconds under -race.
//
// Options adapt the suite: WithPipelineOptions runs every pipeline with further options (an
// Observer, timing …) to show that they change no behaviour.
func Conformance(t *testing.T, s baton.Strategy, opts ...SuiteOption) {
	c := &suite{strategy: s}
	for _, o := range opts {
		o(c)
	}
	for _, b := range battery {
		t.Run(b.name, func(t *testing.T) {
			if b.bubble {
				synctest.Test(t, func(t *testing.T) { b.run(t, c) })
				return
			}
			g := TakeGoroutines()
			t.Cleanup(func() { g.VerifyNoLeaks(t) }) // the first cleanup runs last: after every Close
			b.run(t, c)
		})
	}
}

// SuiteOption adapts the conformance suite.
type SuiteOption func(*suite)

// WithPipelineOptions gives every pipeline of the suite opts, before each test's own options
// (which win where they overlap). Use it to show that options such as baton.WithTiming or
// baton.WithObserver change no behaviour.
func WithPipelineOptions(opts ...baton.Option) SuiteOption {
	return func(c *suite) { c.extra = append(c.extra, opts...) }
}

// suite is the state the battery's tests share: the strategy under test and its options.
type suite struct {
	strategy baton.Strategy
	extra    []baton.Option
}

type behaviour struct {
	name   string
	bubble bool // run in a synctest bubble: the test depends on time
	run    func(t *testing.T, c *suite)
}

// battery is the suite, in the order it runs. Each entry's function is in the file of its
// topic (suite_*.go).
var battery = []behaviour{
	// itineraries and slips
	{"DefaultItineraryRunsEveryStageInOrder", false, testDefaultItinerary},
	{"RouterGivesEachMessageItsOwnItinerary", false, testRouter},
	{"RouterPanicIsTheMessagesError", false, testRouterPanic},
	{"SlipRevisions", false, testSlipRevisions},
	{"SlipInspection", false, testSlipInspection},
	{"RevisionsOfAFailedAttemptAreUndone", false, testRevisionsUndone},
	{"HopLimitStopsEndlessLoops", false, testHopLimit},
	{"RevisitingIsLegal", false, testRevisiting},
	// errors, panics, retries, compensation
	{"FailureNamesStageAndAttempts", false, testFailureNamesStage},
	{"PermanentErrorsAreNotRetried", false, testPermanent},
	{"PanicBecomesErrorAndPipelineGoesOn", false, testPanic},
	{"CompensationRunsInReverseAndReports", false, testCompensation},
	{"CompensationWithoutFailureDoesNotMatchErrCompensationFailed", false, testCompensationOK},
	{"CompensatePanicIsReported", false, testCompensatePanic},
	{"CompensateCallingGoexitIsAFailedCompensation", false, testCompensateGoexit},
	{"StageCallingGoexitFailsTheStepAndNothingHangs", false, testStageGoexit},
	{"RetryablePanicFailsTheStep", false, testRetryablePanic},
	{"OptionalStepFailureIsTolerated", false, testOptional},
	{"CancelledContextStopsTheMessage", false, testCancelled},
	{"CancellationAfterTheLastStepIsNotAFailure", false, testCancelledAfterLastStep},
	{"CompensationOfACancelledMessageHasALiveContext", true, testCompensationLiveContext},
	{"NewValidates", false, testNewValidates},
	// validation and options
	{"NilAdapterInputsAreRefusedAtNew", false, testNilAdapterInputsAreRefused},
	{"NilStageOptionIsRefusedAtNew", false, testNilStageOptionIsRefused},
	{"PanickingStageNameIsRefusedAtNew", false, testPanickingNameIsRefused},
	{"NilStreamOptionRefusesTheStream", false, testNilStreamOptionRefusesTheStream},
	{"OptionsAreValues", false, testOptionsAreValues},
	{"BackoffSaturates", true, testBackoffSaturates},
	{"EmptyItineraryIsAnError", false, testEmptyItineraryIsAnError},
	{"AllowEmptyItinerary", false, testAllowEmptyItinerary},
	// time: retries, backoff and timeouts on a virtual clock
	{"RetryBackoffSchedule", true, testRetryBackoff},
	{"JitterStaysWithinBounds", true, testJitter},
	{"RetryablePredicate", true, testRetryable},
	{"BackoffWaitHonoursCancellation", true, testBackoffCancel},
	{"AttemptTimeout", true, testAttemptTimeout},
	{"LateSuccessIsATimeout", true, testLateSuccess},
	{"StepTimeoutCoversRetries", true, testStepTimeout},
	{"MessageTimeout", true, testMessageTimeout},
	{"MessageTimeoutStopsQueuedMessagesWhereTheyWait", true, testMessageTimeoutQueued},
	{"CompensationRetry", true, testCompensationRetry},
	// streams
	{"SubmissionOrder", true, testSubmissionOrder},
	{"CompletionOrderByDefault", true, testCompletionOrder},
	{"BackpressureBlocksSubmit", true, testBackpressure},
	{"WorkersCapConcurrency", true, testWorkers},
	{"FailFast", false, testFailFast},
	{"RunStopsCleanlyWhenTheConsumerBreaks", false, testRunBreak},
	{"RunLoopBodyThatPanicsOrExitsLeavesNothingInFlight", false, testRunBodyPanicsOrExits},
	{"RunReportsMessagesItCouldNotSubmit", false, testRunRejects},
	{"StreamSubmitAfterCloseSend", false, testSubmitAfterCloseSend},
	{"StatsUnderLoad", false, testStatsUnderLoad},
	{"SubmissionOrderReleasesHeldResultsOnBreak", false, testOrderedBreak},
	{"ConcurrentProcessAndClose", false, testConcurrentProcessAndClose},
	// shutdown
	{"CloseBeforeUseTwice", false, testCloseBeforeUse},
	{"CloseAfterUse", false, testCloseAfterUse},
	{"CloseDrainsInFlightMessagesConcurrently", true, testCloseDrains},
	{"CloseKeepsUnreadResultsReadable", false, testCloseUnread},
	{"CloseWakesABlockedSubmitter", true, testCloseWakesSubmitter},
	{"ShutdownDeadlineAborts", true, testShutdownAborts},
	{"ShutdownInTimeReturnsNil", true, testShutdownInTime},
	{"ShutdownAbortsQueuedMessages", true, testShutdownAbortsQueued},
	{"ShutdownDeadlineStopsQueuedMessagesWhereTheyWait", true, testShutdownQueuedWhereTheyWait},
	// observability: events, logs, timing
	{"EventsOfEachMessage", false, testEvents},
	{"ObserverPanicIsContained", false, testObserverPanic},
	{"OneStepEndedPerAttemptWhenARetryWaitIsCutShort", true, testOneStepEndedPerAttempt},
	{"TimingFillsTheLogAndLatency", false, testTiming},
	{"WithoutTimingTheLogHasNoTimes", false, testNoTiming},
	{"EveryResultCarriesItsLog", false, testEveryResultCarriesItsLog},
	{"SlogObserver", false, testSlogObserver},
	// stats
	{"StatsFreezeWhenThePipelineStops", true, testStatsFreezeAtStop},
	{"StatsRatesOverTheLastSecondAndMinute", true, testStatsRates},
	{"StatsProcessedMovesPerStepWhenTimed", true, testStatsProcessedWhileTravelling},
	// cancellation and deadlines while a step runs
	{"CancelledStepKeepsItsContextsCause", false, testCancelledStepKeepsCause},
	{"FailFastCutShortMatchesTheFailure", false, testFailFastCutShortMatchesCause},
	{"LateSuccessAfterAnyDeadlineIsATimeout", false, testLateSuccessAfterAnyDeadline},
	{"PanickingErrorIsIsContained", false, testPanickingErrorIsIsContained},
	// shutdown, streams, re-entrancy, Run's input
	{"ClosedBeforeCancelled", false, testClosedBeforeCancelled},
	{"ShutdownIsBoundedByItsDeadline", true, testShutdownIsBoundedByItsDeadline},
	{"CloseSendWakesSubmit", true, testCloseSendWakesSubmit},
	{"UnreadStreamDoesNotStarveOthers", true, testUnreadStreamDoesNotStarveOthers},
	{"ReentrantCallsAreRefused", false, testReentrantCallsAreRefused},
	{"WaitingMessageHonoursItsContext", true, testWaitingMessageHonoursItsContext},
	{"RunInputPanicIsTheCallers", false, testRunInputPanicIsTheCallers},
	{"RunStopsPullingWhenCancelled", false, testRunStopsPullingWhenCancelled},
	// concurrency: the same under both strategies
	{"WorkersGiveTheSameConcurrency", true, testWorkersGiveTheSameConcurrency},
	{"NoWaitingBehindAStageNotNeeded", true, testNoWaitingBehindAStageNotNeeded},
	{"ProcessWaitsForAWorkerHonouringItsContext", true, testProcessWaitsForAWorkerHonouringItsContext},
	// correlation: IDs, keys, ProcessResult, log records
	{"MessagesCarryIDAndKey", false, testMessagesCarryIDAndKey},
	{"KeyPanicFailsTheMessage", false, testKeyPanicFailsTheMessage},
	{"ProcessResultRefused", false, testProcessResultRefused},
	{"SlogObserverUsesTheMessagesContext", false, testSlogObserverUsesTheMessagesContext},
	{"ContextObserverGivesTheStepItsContext", false, testContextObserverGivesTheStepItsContext},
	{"StreamMessageContexts", false, testStreamMessageContexts},
	{"PrivateLogs", false, testPrivateLogs},
	{"ErrorTextsSayBatonOnce", true, testErrorTextsSayBatonOnce},
	// wrappers
	{"WrapperKeepsPoliciesAndCompensator", false, testWrapperKeepsPoliciesAndCompensator},
	{"WrapperOwnCompensatorWins", false, testWrapperOwnCompensatorWins},
	{"WrapperChainsAreChecked", false, testWrapperChainsAreChecked},
	// edges found by review
	{"ReentrantThroughAnotherPipelinesContext", false, testReentrantThroughAnotherPipelinesContext},
	{"ShutdownReleasesQueuedBackgroundProcess", true, testShutdownReleasesQueuedBackgroundProcess},
	{"FailFastRefusesLaterSubmissions", false, testFailFastRefusesLaterSubmissions},
	{"StoppedMessagesCompensateWithinWorkers", true, testStoppedMessagesCompensateWithinWorkers},
	{"RouterGoexitEndsItsMessage", false, testRouterGoexitEndsItsMessage},
	{"ObserverGoexitIsContained", false, testObserverGoexitIsContained},
	// randomized: deadlock freedom by construction
	{"RandomSlipsNeverDeadlock", false, testRandomSlipsNoDeadlock},
}

// opts returns the options of a pipeline under test: the strategy, the suite's, then own.
func (c *suite) opts(own ...baton.Option) []baton.Option {
	return slices.Concat([]baton.Option{baton.WithStrategy(c.strategy)}, c.extra, own)
}

// newPipeline builds a pipeline under the suite's strategy and closes it when the test ends.
func (c *suite) newPipeline(t testing.TB, stages []baton.Stage[Msg], opts ...baton.Option) *baton.Pipeline[Msg] {
	t.Helper()
	p, err := baton.New(stages, c.opts(opts...)...)
	mustNoError(t, err)
	t.Cleanup(func() { noError(t, p.Close()) })
	return p
}

// collect runs inputs through p.Run and returns the results indexed by Seq, checking that there
// is exactly one per message.
func collect(t testing.TB, p *baton.Pipeline[Msg], ctx context.Context, in []Msg, opts ...baton.StreamOption) []baton.Result[Msg] {
	t.Helper()
	out := make([]baton.Result[Msg], len(in))
	seen := make([]bool, len(in))
	for r := range p.Run(ctx, slices.Values(in), opts...) {
		mustTrue(t, r.Seq < uint64(len(in)), "Seq %d out of range", r.Seq)
		mustTrue(t, !seen[r.Seq], "two results for message %d", r.Seq)
		seen[r.Seq] = true
		out[r.Seq] = r
	}
	for i, ok := range seen {
		mustTrue(t, ok, "no result for message %d", i)
	}
	return out
}
