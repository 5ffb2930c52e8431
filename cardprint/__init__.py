"""Card printing: pure renderer from card data and a layout to PDF bytes."""
