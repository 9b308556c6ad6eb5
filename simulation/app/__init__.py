"""The classroom web page: the market running in the browser (Mesa's SolaraViz).

``model.py`` is the page's model (the levers as keyword arguments) and the network sample,
``charts.py`` draws the pictures, ``page.py`` is the page (``solara run
simulation/app/page.py`` or ``influencer-sim app``), ``bench.py`` measures its speed. Only
``page.py`` needs the ``app`` extra (solara).
"""
