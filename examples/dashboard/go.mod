module github.com/baton-go/baton/examples/dashboard

go 1.26.0

replace (
	github.com/baton-go/baton => ../..
	github.com/baton-go/baton/conductor/engines => ../../conductor/engines
	github.com/baton-go/baton/dashboard => ../../dashboard
)

require (
	github.com/baton-go/baton v0.1.0
	github.com/baton-go/baton/conductor/engines v0.1.0
	github.com/baton-go/baton/dashboard v0.1.0
	github.com/chromedp/chromedp v0.23.0
	github.com/stretchr/testify v1.12.1
	go.uber.org/goleak v1.3.0
)

require (
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/dlclark/regexp2/v2 v2.5.2 // indirect
	github.com/dop251/goja v0.0.0-20260917113740-793a2a65c13b // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/go-sourcemap/sourcemap v2.1.3+incompatible // indirect
	github.com/google/pprof v0.0.0-20230207041349-798e818bf904 // indirect
	github.com/itchyny/gojq v0.12.20 // indirect
	github.com/itchyny/timefmt-go v0.1.9 // indirect
	github.com/theory/jsonpath v0.12.3 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/text v0.3.8 // indirect
)
