"""Example pipelines for seamline: claims, film, content. Each runs offline."""
