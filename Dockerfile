FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY device_profiles ./device_profiles
COPY gateway ./gateway
COPY ingest ./ingest
COPY alerts ./alerts
COPY clinician_ui ./clinician_ui
COPY nearcare ./nearcare
RUN pip install --no-cache-dir . && useradd --system nearcare
USER nearcare
ENTRYPOINT []
CMD ["nearcare", "--help"]
