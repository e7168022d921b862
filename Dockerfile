FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir . && useradd --system nearcare
USER nearcare
ENTRYPOINT []
CMD ["nearcare", "--help"]
