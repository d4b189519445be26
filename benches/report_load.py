#!/usr/bin/python3
"""How long a `sipline report` takes to load in Debian's headless Chromium,
and to draw a ladder when its row is opened (BENCHMARKS.md, "The report at
scale"). Three loads; prints (load seconds, ladder seconds, table status).

    /usr/bin/python3 benches/report_load.py REPORT.html

Needs chromium, chromium-driver and python3-selenium (Debian).
"""

import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,1400"]:
    opts.add_argument(arg)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
runs = []
for _ in range(3):
    start = time.time()
    driver.get("file://" + sys.argv[1])
    WebDriverWait(driver, 120).until(lambda d: d.find_element(By.ID, "shown").text != "")
    loaded = time.time() - start
    row = driver.find_elements(By.CSS_SELECTOR, "#calls tbody tr.call")[0]
    start = time.time()
    row.click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#ladder svg, #ladder p"))
    runs.append((round(loaded, 2), round(time.time() - start, 3), driver.find_element(By.ID, "shown").text))
print(runs)
driver.quit()
