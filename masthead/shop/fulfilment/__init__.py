"""Print-on-demand fulfilment: the provider interface (base) and Printful (printful)."""
