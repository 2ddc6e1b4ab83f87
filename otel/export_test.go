package batonotel

// OpenMessages counts the messages whose spans o holds, for the tests' leak checks.
func OpenMessages(o *Observer) int { return o.open() }
