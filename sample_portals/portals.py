"""The five sample county portals, as data: who they are and which CMS family they imitate.

Facts (names, regions, administrative codes, CMS family, column paths) follow
../shared/design/portals.md. Units (townships, streets, departments) are real place and
office names of each county; the numbers the generator gives them are invented.
Pure data, no I/O.
"""

from __future__ import annotations

PORTALS: tuple[dict, ...] = (
    {
        "id": "zhongning", "name": "中宁县人民政府", "province": "宁夏回族自治区", "city": "中卫市",
        "county": "中宁县", "admin_code": "640521", "family": "trs", "charset": "utf-8",
        "site_code": "6405210001", "icp": "宁ICP备05004071号-1", "police": "宁公网安备 64052102000101号",
        "townships": ("宁安镇", "鸣沙镇", "石空镇", "新堡镇", "恩和镇", "大战场镇", "舟塔乡", "白马乡", "余丁乡", "喊叫水乡", "徐套乡"),
        "streets": ("宁安街道办事处", "城北街道办事处"),
    },
    {
        "id": "yanchi", "name": "盐池县人民政府", "province": "宁夏回族自治区", "city": "吴忠市",
        "county": "盐池县", "admin_code": "640323", "family": "trs", "charset": "utf-8",
        "site_code": "6403230001", "icp": "宁ICP备05003310号-1", "police": "宁公网安备 64032302000101号",
        "townships": ("花马池镇", "大水坑镇", "惠安堡镇", "高沙窝镇", "王乐井乡", "冯记沟乡", "青山乡", "麻黄山乡"),
        "streets": ("盐州街道办事处", "花马池街道办事处"),
    },
    {
        "id": "longde", "name": "隆德县人民政府", "province": "宁夏回族自治区", "city": "固原市",
        "county": "隆德县", "admin_code": "640423", "family": "hanweb", "charset": "utf-8",
        "site_code": "6404230001", "icp": "宁ICP备05004321号-1", "police": "宁公网安备 64042302000101号",
        "townships": ("城关镇", "沙塘镇", "联财镇", "陈靳乡", "好水乡", "观庄乡", "杨河乡", "神林乡", "张程乡", "凤岭乡", "山河乡", "温堡乡", "奠安乡"),
        "streets": ("德顺街道办事处",),
    },
    {
        "id": "luoning", "name": "洛宁县人民政府", "province": "河南省", "city": "洛阳市",
        "county": "洛宁县", "admin_code": "410328", "family": "generic", "charset": "gbk",
        "site_code": "4103280001", "icp": "豫ICP备05005412号-1", "police": "豫公网安备 41032802000101号",
        "townships": ("城关镇", "王范回族镇", "上戈镇", "下峪镇", "河底镇", "兴华镇", "东宋镇", "马店镇", "故县镇", "赵村镇", "长水镇", "景阳镇", "小界乡", "罗岭乡", "底张乡", "西山底乡", "陈吴乡", "涧口乡"),
        "streets": ("永宁街道办事处",),
    },
    {
        "id": "hunyuan", "name": "浑源县人民政府", "province": "山西省", "city": "大同市",
        "county": "浑源县", "admin_code": "140225", "family": "ucap", "charset": "utf-8",
        "site_code": "1402250001", "icp": "晋ICP备06001282号-1", "police": "晋公网安备 14022502000101号",
        "townships": ("永安镇", "西坊城镇", "蔡村镇", "沙圪坨镇", "王庄堡镇", "大磁窑镇", "驼峰乡", "西留乡", "下韩村乡", "千佛岭乡", "东坊城乡", "黄花滩乡", "裴村乡", "青磁窑乡", "官儿乡", "大仁庄乡", "南榆林乡"),
        "streets": ("北岳街道办事处",),
    },
)

# Departments every county government has; the agency name is county + department.
DEPARTMENTS: tuple[str, ...] = (
    "发展和改革局", "教育体育局", "公安局", "民政局", "财政局", "人力资源和社会保障局",
    "自然资源局", "住房和城乡建设局", "交通运输局", "农业农村局", "卫生健康局",
    "市场监督管理局", "应急管理局", "司法局", "审计局", "水务局",
)
