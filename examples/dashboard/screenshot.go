package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/chromedp/chromedp"
)

// screenshot waits for some traffic, opens the page in headless Chromium (apt-get install -y
// chromium), opens a failed message's timeline and writes a PNG (quality 100: PNG, not JPEG) of the page to file.
func screenshot(ctx context.Context, url, file string) error {
	path, err := exec.LookPath("chromium")
	if err != nil {
		return fmt.Errorf("the screenshot needs Chromium (apt-get install -y chromium): %w", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path),
		chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU, chromedp.WindowSize(1500, 1100))
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(bctx, chromedp.Navigate(url)); err != nil {
		return err
	}
	time.Sleep(6 * time.Second) // traffic, and a few live updates
	failed := chromedp.CSS(`article.pipeline .list tr.message.failed`)
	if err := chromedp.Do(bctx, chromedp.WaitVisible(failed), chromedp.Click(failed),
		chromedp.WaitVisible(chromedp.CSS(`#detail .timeline`))); err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond)
	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		return err
	}
	return os.WriteFile(file, png, 0o644)
}
