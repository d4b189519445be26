#!/usr/bin/python3
"""Open a `sipline report` in Debian's headless Chromium, offline, and say
what the page shows.

    report_browser.py REPORT.html CALL_ID SCREENSHOT_DIR NAME

Drives chromium through Debian's chromedriver with Debian's python3-selenium
(no download of anything). The network is off: Chromium is told that every
host is unknown and sent to a proxy that does not exist, and CDP's network
emulation is offline. The page's Call-ID filter is given CALL_ID and its
first row clicked; screenshots of the summary and of the ladder go to
SCREENSHOT_DIR/report-NAME-summary.png and -ladder.png. Prints one JSON object: the calls the table counts, the
outcome totals, the rows in the table, the labels of the ladder drawn (in
order), whether an alert opened, and the browser console's messages.
cli/tests/cli_report.rs runs it and checks the answer.
"""

import json
import re
import sys

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def main():
    report, call_id, shots, name = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1200,1400",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=127.0.0.1:9",
        "--allow-file-access-from-files",
    ]:
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0},
        )
        driver.get("file://" + report)
        WebDriverWait(driver, 30).until(
            lambda d: d.find_element(By.ID, "shown").text != ""
        )
        alert = False
        try:
            driver.switch_to.alert
            alert = True
        except NoAlertPresentException:
            pass
        shown = driver.find_element(By.ID, "shown").text
        total = re.search(r"of (\d+) calls", shown)
        outcomes = {
            td.get_attribute("data-outcome"): int(td.text)
            for td in driver.find_elements(By.CSS_SELECTOR, "#outcomes td.count")
        }
        rows = len(driver.find_elements(By.CSS_SELECTOR, "#calls tbody tr.call"))
        driver.save_screenshot(f"{shots}/report-{name}-summary.png")
        box = driver.find_element(By.ID, "filter")
        box.send_keys(call_id)
        first = driver.find_element(By.CSS_SELECTOR, "#calls tbody tr.call")
        cell = first.find_elements(By.TAG_NAME, "td")[1].text
        first.click()
        WebDriverWait(driver, 10).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "#ladder g.message")
            or d.find_elements(By.CSS_SELECTOR, "#ladder p")
        )
        labels = [
            g.get_attribute("data-label")
            for g in driver.find_elements(By.CSS_SELECTOR, "#ladder g.message")
        ]
        driver.execute_script("document.getElementById('ladder').scrollIntoView()")
        driver.save_screenshot(f"{shots}/report-{name}-ladder.png")
        console = [
            {"level": e.get("level"), "message": e.get("message")}
            for e in driver.get_log("browser")
        ]
        print(json.dumps({
            "calls": int(total.group(1)) if total else 0,
            "outcomes": outcomes,
            "rows": rows,
            "clicked_call_id": cell,
            "labels": labels,
            "alert": alert,
            "console": console,
        }))
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
