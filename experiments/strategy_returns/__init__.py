"""Experiment: sales and earned value per dollar of celebrity, micro and mixed portfolios."""
