"""Pure figure builders (plotly, folium): data in, figure out."""
