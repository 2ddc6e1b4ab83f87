package batontest

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"

	"github.com/baton-go/baton"
)

// Conformance runs Baton's behaviour battery against subject, one subtest per behaviour:
// slips and revisions, revisits and the hop limit, routers, ordering, backpressure, workers,
// Close and Shutdown in every state, errors and sentinels, panics, retries and backoff,
// timeouts, compensation, cancellation, fail-fast, optional steps, stats, validation at New,
// observer events, slip logs and timing, and randomized slips at the smallest buffer settings
// (no deadlock, exactly one result per message). It is the specification of Baton's behaviour:
// each behaviour is one rule, stated in the doc comment of its test. Both built-in strategies
// pass it (Conformance(t, Strategy(baton.Orchestrated)), and the same for Choreographed), and
// so must any other way of running a pipeline, such as an engine that carries messages between
// processes, with its differences declared in subject.Features.
//
// Every subtest closes its pipelines and checks that no goroutine of Baton outlives them.
// Subtests that depend on time run in a testing/synctest bubble, on a virtual clock, so they
// are fast and deterministic; a deadlock there makes synctest.Test panic, listing the bubble's
// goroutines, which ends the test binary (a wait on something made outside the bubble, such as
// a subject's server, is no deadlock to synctest: it hangs until go test's -timeout). The
// others run on the real clock and report a goroutine still running after a few seconds' grace
// as a leak, with its stack. The suite takes a few seconds under -race.
//
// Options adapt the suite: WithPipelineOptions runs every pipeline with further options (an
// Observer, timing …) to show that they change no behaviour.
func Conformance(t *testing.T, subject Subject, opts ...SuiteOption) {
	if subject.New == nil {
		t.Fatalf("batontest.Conformance: Subject.New is nil")
	}
	c := &suite{subject: subject}
	for _, o := range opts {
		o(c)
	}
	for _, b := range battery {
		t.Run(b.name, func(t *testing.T) {
			switch f := subject.Features; {
			case (b.virtualTime || b.ownBubbles) && f.RealClock:
				t.Skip("Features.RealClock: this behaviour is checked on a virtual clock")
			case b.takesBack && f.QueuedUntilStarted:
				t.Skip("Features.QueuedUntilStarted: a queued message is out of its caller's reach")
			}
			if b.virtualTime {
				synctest.Test(t, func(t *testing.T) { b.run(t, c) })
				return
			}
			g := takeGoroutines()
			t.Cleanup(func() { g.verifyNoLeaks(t) }) // the first cleanup runs last: after every Close
			b.run(t, c)
		})
	}
}

// Subject is what Conformance checks: how to build its pipelines, and how they differ where
// the contract leaves room. Strategy(s) is the subject of a built-in strategy; another way of
// running pipelines, such as an engine, describes itself with its own New and Features.
type Subject struct {
	// New builds a pipeline from the stages and options of one test of the suite, as baton.New
	// does; in particular it refuses what baton.New refuses, with its errors (matching
	// baton.ErrInvalidPipeline). The suite closes the pipelines it builds. t is the test the
	// pipeline belongs to: New may register cleanups on it (to stop a server it started, say).
	New func(t testing.TB, stages []baton.Stage[Msg], opts ...baton.Option) (*baton.Pipeline[Msg], error)
	// Strategy is what the subject's pipelines report as their strategy: Pipeline.Strategy,
	// Stats.Strategy, and the strategy attribute of baton.SlogObserver's records.
	Strategy baton.Strategy
	// Features declares the subject's differences.
	Features Features
}

// Features declares where a subject's pipelines differ while keeping the contract, as
// watermill's tests.Features does for pub/subs: each field names one difference, and the tests
// that meet it check the subject's side of it. The zero value is orchestration's side of each.
type Features struct {
	// InboxDepth: StageStats.Inbox counts every message queued for the stage, as choreography's
	// inboxes do, so a stage without baton.Workers (one goroutine under choreography) counts the
	// messages waiting behind its running step. When false, Inbox counts only the streamed
	// messages parked for a worker slot of a stage with Workers, as under orchestration, and a
	// stage without Workers always reports 0 (its steps wait for no slot of its own).
	InboxDepth bool
	// QueuedUntilStarted: a message queued for a busy stage is out of its caller's reach (in a
	// message system's stream, say) until its step starts, where it stops if its context has
	// ended. The in-process strategies hand such a message back to a Process caller whose
	// context ends, at once; a subject with this feature skips the behaviours that need it
	// (marked takesBack in the battery), and its caller waits for the step to start.
	QueuedUntilStarted bool
	// RealClock: the subject's pipelines wait on what a testing/synctest bubble cannot see (a
	// server's network connections), on which a bubble's virtual clock never moves: the
	// behaviours checked on a virtual clock, in the suite's bubble or in bubbles of their own,
	// are skipped, and the subject checks its timing rules on the real clock itself. Its
	// messages may take milliseconds a step: the randomized behaviour runs fewer of them,
	// with a longer limit for a hang.
	RealClock bool
}

// Strategy returns the subject of a built-in strategy: pipelines made by baton.New with
// baton.WithStrategy(s) before the suite's options, and the features of s.
//
// It is a Subject, not a separate entry point, so that the built-in strategies take the same
// path through the suite as any other subject: Conformance has one way in.
func Strategy(s baton.Strategy) Subject {
	build := strategyBuilder[Msg](s)
	return Subject{
		New: func(_ testing.TB, stages []baton.Stage[Msg], opts ...baton.Option) (*baton.Pipeline[Msg], error) {
			return build(stages, opts...)
		},
		Strategy: s,
		Features: Features{InboxDepth: s == baton.Choreographed},
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

// suite is the state the battery's tests share: the subject under test and the options every
// pipeline gets.
type suite struct {
	subject Subject
	extra   []baton.Option
}

// behaviour is one entry of the battery: one rule, stated in the doc comment of run.
type behaviour struct {
	name        string
	virtualTime bool // run in a testing/synctest bubble: the test depends on time
	ownBubbles  bool // runs testing/synctest bubbles of its own (see Features.RealClock)
	takesBack   bool // a Process caller takes its queued message back (see Features.QueuedUntilStarted)
	run         func(t *testing.T, c *suite)
}

// battery is the suite, in the order it runs. Each entry's function is in the file of its
// topic (suite_*.go).
var battery = []behaviour{
	// itineraries and slips
	{name: "DefaultItineraryRunsEveryStageInOrder", run: testDefaultItinerary},
	{name: "PipelineReportsItsStrategy", run: testPipelineReportsItsStrategy},
	{name: "RouterGivesEachMessageItsOwnItinerary", run: testRouter},
	{name: "UnknownStageInTheItineraryFailsBeforeAnyStep", run: testUnknownStageInItinerary},
	{name: "RouterPanicIsTheMessagesError", run: testRouterPanic},
	{name: "SlipRevisions", run: testSlipRevisions},
	{name: "RevisionNamingAnUnknownStageFailsTheStep", run: testRevisionNamingAnUnknownStage},
	{name: "SlipInspection", run: testSlipInspection},
	{name: "RevisionsOfAFailedAttemptAreUndone", run: testRevisionsUndone},
	{name: "HopLimitStopsEndlessLoops", run: testHopLimit},
	{name: "RevisitingIsLegal", run: testRevisiting},
	// errors, panics, retries
	{name: "FailureNamesStageAndAttempts", run: testFailureNamesStage},
	{name: "FailedMessageKeepsItsLastGoodValue", run: testFailedMessageKeepsItsLastGoodValue},
	{name: "FailureIsCounted", run: testFailureIsCounted},
	{name: "PermanentErrorsAreNotRetried", run: testPermanent},
	{name: "PanicBecomesAnErrorWithItsStack", run: testPanicBecomesAnError},
	{name: "PanickedErrorIsUnwrapped", run: testPanickedErrorIsUnwrapped},
	{name: "PanicIsNotRetried", run: testPanicIsNotRetried},
	{name: "PipelineGoesOnAfterAPanic", run: testPipelineGoesOnAfterAPanic},
	{name: "StageCallingGoexitFailsTheStepAndNothingHangs", run: testStageGoexit},
	{name: "ProcessWhoseStageCallsGoexitStillFinishes", run: testProcessWithAGoexitStillFinishes},
	{name: "RetryablePanicFailsTheStep", run: testRetryablePanic},
	// compensation
	{name: "CompensationRunsInReverse", run: testCompensationRunsInReverse},
	{name: "CompensatedErrorKeepsTheFailure", run: testCompensatedErrorKeepsTheFailure},
	{name: "FailedCompensationIsReported", run: testFailedCompensationIsReported},
	{name: "CompensationErrorListsTheCompensations", run: testCompensationErrorListsTheCompensations},
	{name: "CompensationIsInTheLog", run: testCompensationIsInTheLog},
	{name: "CompensationIsCounted", run: testCompensationIsCounted},
	{name: "CompensationWithoutFailureDoesNotMatchErrCompensationFailed", run: testCompensationOK},
	{name: "CompensatePanicIsReported", run: testCompensatePanic},
	{name: "CompensateCallingGoexitIsAFailedCompensation", run: testCompensateGoexit},
	// optional steps
	{name: "OptionalStepFailureIsTolerated", run: testOptional},
	{name: "ToleratedFailureIsCounted", run: testToleratedFailureIsCounted},
	{name: "ToleratedStepIsNotCompensated", run: testToleratedStepIsNotCompensated},
	// step policies of their own, and the value a tolerated step leaves
	{name: "StepPolicyRetriesTheStepAsItSays", virtualTime: true, run: testStepPolicyRetries},
	{name: "StepPolicyReplacesTheStagesWhole", run: testStepPolicyReplacesTheStages},
	{name: "StepPolicyOptionalIsTolerated", run: testStepPolicyOptional},
	{name: "StepPolicyTimeouts", virtualTime: true, run: testStepPolicyTimeouts},
	{name: "StepPolicyEventsNameTheStageOnePerAttempt", virtualTime: true, run: testStepPolicyEvents},
	{name: "ItineraryPlannerPlansTheFirstSteps", run: testItineraryPlanner},
	{name: "InvalidStepPolicyRevisesNothing", run: testInvalidStepPolicy},
	{name: "ToleratorGivesTheToleratedStepsValue", run: testToleratorGivesTheValue},
	{name: "ToleratorWithAStepPolicyAndItsPanic", run: testToleratorWithStepPolicyAndPanic},
	// cancellation
	{name: "CancelledContextStopsTheMessage", run: testCancelled},
	{name: "CancelledContextIsRefused", run: testCancelledContextIsRefused},
	{name: "CancellationAfterTheLastStepIsNotAFailure", run: testCancelledAfterLastStep},
	{name: "CompensationOfACancelledMessageHasALiveContext", virtualTime: true, run: testCompensationLiveContext},
	// validation and options
	{name: "NewValidates", run: testNewValidates},
	{name: "NilAdapterInputsAreRefusedAtNew", run: testNilAdapterInputsAreRefused},
	{name: "NewReportsEveryMisuse", run: testNewReportsEveryMisuse},
	{name: "NilStageOptionIsRefusedAtNew", run: testNilStageOptionIsRefused},
	{name: "PanickingStageNameIsRefusedAtNew", run: testPanickingNameIsRefused},
	{name: "NilStreamOptionRefusesTheStream", run: testNilStreamOptionRefusesTheStream},
	{name: "NilStreamOptionRefusesRun", run: testNilStreamOptionRefusesRun},
	{name: "OptionsAreValues", run: testOptionsAreValues},
	{name: "StageOptionsAreValues", run: testStageOptionsAreValues},
	{name: "ValidOptionIsReusable", run: testValidOptionIsReusable},
	{name: "BackoffSaturates", run: testBackoffSaturates},
	{name: "RetryWaitsSaturate", virtualTime: true, run: testRetryWaitsSaturate},
	{name: "EmptyItineraryIsAnError", run: testEmptyItineraryIsAnError},
	{name: "AllowEmptyItinerary", run: testAllowEmptyItinerary},
	{name: "AllowEmptyItineraryWithoutARouterChangesNothing", run: testAllowEmptyItineraryWithoutARouter},
	// time: retries, backoff and timeouts on a virtual clock
	{name: "RetryBackoffSchedule", virtualTime: true, run: testRetryBackoff},
	{name: "JitterStaysWithinBounds", virtualTime: true, run: testJitter},
	{name: "RetryablePredicate", virtualTime: true, run: testRetryable},
	{name: "BackoffWaitHonoursCancellation", virtualTime: true, run: testBackoffCancel},
	{name: "AttemptTimeout", virtualTime: true, run: testAttemptTimeout},
	{name: "EachAttemptGetsAFreshDeadline", virtualTime: true, run: testEachAttemptGetsAFreshDeadline},
	{name: "LateSuccessIsATimeout", virtualTime: true, run: testLateSuccess},
	{name: "StepTimeoutCoversRetries", virtualTime: true, run: testStepTimeout},
	{name: "StepTimeoutCutsTheLastAttemptShort", virtualTime: true, run: testStepTimeoutCutsTheLastAttemptShort},
	{name: "MessageTimeoutIsEachMessagesOwn", virtualTime: true, run: testMessageTimeoutIsEachMessagesOwn},
	{name: "MessageTimeout", virtualTime: true, run: testMessageTimeout},
	{name: "LateSuccessAfterTheMessageTimeoutFails", virtualTime: true, run: testLateSuccessAfterTheMessageTimeout},
	{name: "MessageTimeoutBetweenSteps", virtualTime: true, run: testMessageTimeoutBetweenSteps},
	{name: "MessageTimeoutStopsQueuedMessagesWhereTheyWait", virtualTime: true, run: testMessageTimeoutQueued},
	{name: "CompensationRetry", virtualTime: true, run: testCompensationRetry},
	{name: "CompensationTimeout", virtualTime: true, run: testCompensationTimeout},
	// streams
	{name: "SubmissionOrder", virtualTime: true, run: testSubmissionOrder},
	{name: "CompletionOrderByDefault", virtualTime: true, run: testCompletionOrder},
	{name: "BackpressureBlocksSubmit", virtualTime: true, run: testBackpressure},
	{name: "WorkersCapConcurrency", virtualTime: true, run: testWorkers},
	{name: "FailFast", run: testFailFast},
	{name: "WithoutFailFastAFailureStaysItsMessagesOwn", run: testFailureStaysItsMessagesOwn},
	{name: "RunStopsCleanlyWhenTheConsumerBreaks", run: testRunBreak},
	{name: "RunLoopBodyThatPanicsOrExitsLeavesNothingInFlight", run: testRunBodyPanicsOrExits},
	{name: "RunReportsMessagesItCouldNotSubmit", run: testRunRejects},
	{name: "StreamSubmitAfterCloseSend", run: testSubmitAfterCloseSend},
	{name: "ResultsYieldEachResultOnce", run: testResultsYieldEachResultOnce},
	{name: "StatsStayWithinTheBoundUnderLoad", run: testStatsStayWithinTheBound},
	{name: "StatsCountEveryStep", run: testStatsCountEveryStep},
	{name: "SubmissionOrderReleasesHeldResultsOnBreak", run: testOrderedBreak},
	{name: "ConcurrentProcessAndClose", run: testConcurrentProcessAndClose},
	// shutdown
	{name: "CloseBeforeUseTwice", run: testCloseBeforeUse},
	{name: "CloseAfterUse", run: testCloseAfterUse},
	{name: "StatsStayReadableAfterClose", run: testStatsStayReadableAfterClose},
	{name: "CloseDrainsInFlightMessagesConcurrently", virtualTime: true, run: testCloseDrains},
	{name: "CloseKeepsUnreadResultsReadable", run: testCloseUnread},
	{name: "CloseWakesABlockedSubmitter", virtualTime: true, run: testCloseWakesSubmitter},
	{name: "ShutdownDeadlineAborts", virtualTime: true, run: testShutdownAborts},
	{name: "ShutdownInTimeReturnsNil", virtualTime: true, run: testShutdownInTime},
	{name: "ShutdownAbortsQueuedMessages", virtualTime: true, run: testShutdownAbortsQueued},
	{name: "ShutdownDeadlineStopsQueuedMessagesWhereTheyWait", virtualTime: true, run: testShutdownQueuedWhereTheyWait},
	// observability: events, logs, timing
	{name: "EventsOfEachMessage", run: testEvents},
	{name: "ObserverPanicIsContained", run: testObserverPanic},
	{name: "OneStepEndedPerAttemptWhenARetryWaitIsCutShort", virtualTime: true, run: testOneStepEndedPerAttempt},
	{name: "TimingFillsTheLog", run: testTiming},
	{name: "TimingFillsStats", run: testTimingFillsStats},
	{name: "WithoutTimingTheLogHasNoTimes", run: testNoTiming},
	{name: "EveryResultCarriesItsLog", run: testEveryResultCarriesItsLog},
	{name: "SlogObserver", run: testSlogObserver},
	// stats
	{name: "StatsFreezeWhenThePipelineStops", virtualTime: true, run: testStatsFreezeAtStop},
	{name: "StatsOfAnUnusedPipelineAreZero", virtualTime: true, run: testStatsOfAnUnusedPipeline},
	{name: "StatsRatesOverTheLastSecondAndMinute", virtualTime: true, run: testStatsRates},
	{name: "StatsProcessedMovesPerStepWhenTimed", virtualTime: true, run: testStatsProcessedWhileTravelling},
	{name: "InboxCountsMessagesWaitingForAWorker", virtualTime: true, run: testInboxCountsMessagesWaitingForAWorker},
	{name: "InboxOfAStageWithoutWorkers", virtualTime: true, run: testInboxOfAStageWithoutWorkers}, // Features.InboxDepth
	// cancellation and deadlines while a step runs
	{name: "CancelledStepKeepsItsContextsCause", run: testCancelledStepKeepsCause},
	{name: "FailFastCutShortMatchesTheFailure", run: testFailFastCutShortMatchesCause},
	{name: "LateSuccessAfterAnyDeadlineIsATimeout", ownBubbles: true, run: testLateSuccessAfterAnyDeadline},
	{name: "PanickingErrorIsIsContained", run: testPanickingErrorIsIsContained},
	{name: "PanickingCauseIsContained", run: testPanickingCauseIsContained},
	// shutdown, streams, re-entrancy, Run's input
	{name: "ClosedBeforeCancelled", run: testClosedBeforeCancelled},
	{name: "ShutdownIsBoundedByItsDeadline", virtualTime: true, run: testShutdownIsBoundedByItsDeadline},
	{name: "CloseSendWakesSubmit", virtualTime: true, run: testCloseSendWakesSubmit},
	{name: "UnreadStreamDoesNotStarveOthers", virtualTime: true, run: testUnreadStreamDoesNotStarveOthers},
	{name: "ReentrantCallsAreRefused", run: testReentrantCallsAreRefused},
	{name: "WaitingMessageHonoursItsContext", virtualTime: true, takesBack: true, run: testWaitingMessageHonoursItsContext},
	{name: "RunInputPanicIsTheCallers", run: testRunInputPanicIsTheCallers},
	{name: "RunStopsPullingWhenCancelled", run: testRunStopsPullingWhenCancelled},
	// concurrency: the same under every subject
	{name: "WorkersGiveTheSameConcurrency", virtualTime: true, run: testWorkersGiveTheSameConcurrency},
	{name: "NoWaitingBehindAStageNotNeeded", virtualTime: true, run: testNoWaitingBehindAStageNotNeeded},
	{name: "ProcessWaitsForAWorkerHonouringItsContext", virtualTime: true, takesBack: true, run: testProcessWaitsForAWorkerHonouringItsContext},
	// correlation: IDs, keys, ProcessResult, log records
	{name: "MessagesCarryIDAndKey", run: testMessagesCarryIDAndKey},
	{name: "KeyPanicFailsTheMessage", run: testKeyPanicFailsTheMessage},
	{name: "ProcessResultRefused", run: testProcessResultRefused},
	{name: "SlogObserverUsesTheMessagesContext", run: testSlogObserverUsesTheMessagesContext},
	{name: "ContextObserverGivesTheStepItsContext", run: testContextObserverGivesTheStepItsContext},
	{name: "PanickingStepContextIsContained", run: testPanickingStepContextIsContained},
	{name: "StreamMessageContexts", run: testStreamMessageContexts},
	{name: "WithoutMessageContextsSubmitContextBoundsOnlyTheWait", run: testSubmitContextBoundsOnlyTheWait},
	{name: "AppendToALogCopiesIt", run: testAppendToALogCopiesIt},
	{name: "PrivateLogs", run: testPrivateLogs},
	{name: "ErrorTextsSayBatonOnce", virtualTime: true, run: testErrorTextsSayBatonOnce},
	// wrappers
	{name: "WrapperKeepsPoliciesAndCompensator", run: testWrapperKeepsPoliciesAndCompensator},
	{name: "WrapperOwnCompensatorWins", run: testWrapperOwnCompensatorWins},
	{name: "WrapperChainsAreChecked", run: testWrapperChainsAreChecked},
	// edges found by review
	{name: "ReentrantThroughAnotherPipelinesContext", run: testReentrantThroughAnotherPipelinesContext},
	{name: "ShutdownReleasesQueuedBackgroundProcess", virtualTime: true, takesBack: true, run: testShutdownReleasesQueuedBackgroundProcess},
	{name: "FailFastRefusesLaterSubmissions", run: testFailFastRefusesLaterSubmissions},
	{name: "StoppedMessagesCompensateWithinWorkers", virtualTime: true, takesBack: true, run: testStoppedMessagesCompensateWithinWorkers},
	{name: "RouterGoexitEndsItsMessage", run: testRouterGoexitEndsItsMessage},
	{name: "ObserverGoexitIsContained", run: testObserverGoexitIsContained},
	// randomized: deadlock freedom by construction
	{name: "RandomSlipsNeverDeadlock", run: testRandomSlipsNoDeadlock},
}

// build builds a pipeline of the subject for t, with the suite's options and then own; the
// caller closes it.
func (c *suite) build(t testing.TB, stages []baton.Stage[Msg], own ...baton.Option) (*baton.Pipeline[Msg], error) {
	t.Helper()
	return c.subject.New(t, stages, slices.Concat(c.extra, own)...)
}

// newPipeline builds a pipeline of the subject and closes it when the test ends.
func (c *suite) newPipeline(t testing.TB, stages []baton.Stage[Msg], opts ...baton.Option) *baton.Pipeline[Msg] {
	t.Helper()
	p, err := c.build(t, stages, opts...)
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
