"""The classroom web page: the market running in the browser (solara).

``model.py`` is the page's model (the levers as keyword arguments, with their config keys
and units) and the network sample; ``session.py`` one tab's market and the loop that plays
it; ``monitors.py`` today's figures; ``lessons.py`` the information panel and its presets;
``charts.py`` the Vega-Lite charts and the network image; ``vega.py`` the chart widget;
``page.py`` the page (``solara run simulation/app/page.py`` or ``influencer-sim app``);
``launch.py`` the command; ``bench.py`` measures it (``scripts/app_browser.py`` drives it in
a browser: a load test and the docs' screenshot). Only ``page.py`` and ``vega.py`` need the
``app`` extra (solara).
"""
