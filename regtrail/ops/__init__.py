"""Operating: the Airflow DAG factory, its environment, the end-to-end demo."""
